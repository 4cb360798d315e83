import { unzipSync } from 'fflate';
import { ContractError } from '../../contract/errors.ts';
import type { ParameterInfo } from '../../contract/parameters.ts';
import { parseNpy } from '../datasets/parse-upload.ts';
import type { ImportedTensor } from './direction-file.ts';
import { mapTensors } from './map-directions.ts';

/** One uploaded checkpoint θ_i on the model's flat parameter vector. */
export interface UploadedCheckpoint {
  epoch: number;
  theta: Float32Array;
}

/**
 * A training trajectory as an npz of members `<epoch>/<parameter name>.npy` (the parameters of
 * one architecture at each saved epoch), each epoch's tensors matched to the model by name and
 * shape as direction files are (map-directions.ts; mode weights: every trainable tensor must be
 * there, BN moving statistics may be; mode states: every tensor). Sorted by epoch; a ContractError names `field` and every
 * tensor that does not match.
 */
export function readCheckpointFile(bytes: Uint8Array, parameters: ParameterInfo[], mode: 'weights' | 'states', field: string): UploadedCheckpoint[] {
  let members: Record<string, Uint8Array>;
  try {
    members = unzipSync(bytes);
  } catch (err) {
    throw new ContractError(field, `is not a readable .npz (zip) archive: ${(err as Error).message}`);
  }
  const epochs = new Map<number, ImportedTensor[]>();
  for (const [member, content] of Object.entries(members)) {
    const match = /^(\d+)\/(.+)\.npy$/.exec(member);
    if (!match) throw new ContractError(field, `member "${member}" is not named <epoch>/<parameter name>.npy`);
    const array = parseNpy(content, `${field}/${member}`);
    const list = epochs.get(Number(match[1])) ?? [];
    list.push({ index: list.length, name: match[2]!, shape: array.shape, values: Float32Array.from(array.values) });
    epochs.set(Number(match[1]), list);
  }
  if (epochs.size === 0) throw new ContractError(field, 'holds no members <epoch>/<parameter name>.npy');
  return [...epochs.entries()]
    .sort(([a], [b]) => a - b)
    .map(([epoch, tensors]) => ({ epoch, theta: mapTensors(tensors, parameters, mode, `epoch ${epoch}`, field) }));
}
