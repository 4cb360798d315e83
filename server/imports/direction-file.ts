import { parseNpy, unzipNpz } from '../datasets/parse-upload.ts';
import { ContractError } from '../../contract/errors.ts';
import { isH5, readH5 } from '../../contract/exports/h5.ts';

/** One tensor of an uploaded direction, in file order; `name` when the file carries one. */
export interface ImportedTensor {
  index: number;
  name: string | null;
  shape: number[];
  values: Float32Array;
}

export interface DirectionFile {
  x: ImportedTensor[];
  y: ImportedTensor[] | null;
}

const GROUPS = ['xdirection', 'ydirection'] as const;

interface H5Dataset {
  shape: number[] | null;
  value: unknown;
  attrs: Record<string, { value: unknown }>;
}

/**
 * The reference's direction file (net_plotter.setup_direction, h5_util.write_list): groups
 * xdirection / ydirection of datasets "0" … "n-1" read in that order (h5_util.read_list), an
 * optional attribute `name` per dataset (Loss Atlas' export writes it).
 */
async function readH5Directions(bytes: Uint8Array, file: string): Promise<DirectionFile> {
  const read = await readH5(bytes, (h5) => {
    const groups: Partial<Record<(typeof GROUPS)[number], ImportedTensor[]>> = {};
    for (const group of GROUPS) {
      if (!h5.keys().includes(group)) continue;
      const g = h5.get(group) as unknown as { keys(): string[]; get(name: string): H5Dataset | null };
      const keys = g.keys();
      groups[group] = keys.map((_, index) => {
        const dataset = g.get(String(index));
        if (!dataset || !('shape' in dataset)) throw new ContractError(file, `${group} has ${keys.length} members but no dataset "${index}" (the reference numbers them 0 … n-1)`);
        const value = dataset.value;
        const values = typeof value === 'number' || typeof value === 'bigint' ? Float32Array.of(Number(value)) : Float32Array.from(value as ArrayLike<number>, Number);
        const name = dataset.attrs.name?.value;
        return { index, name: typeof name === 'string' ? name : null, shape: dataset.shape ?? [], values };
      });
    }
    return groups;
  });
  if (!read) throw new ContractError(file, 'is not a readable HDF5 file');
  if (!read.xdirection) throw new ContractError(file, 'has no group xdirection (expected the layout of net_plotter.setup_direction)');
  return { x: read.xdirection, y: read.ydirection ?? null };
}

/** Loss Atlas' directions npz: members xdirection/<parameter name>.npy (and ydirection/…), in parameter order. */
function readNpzDirections(bytes: Uint8Array, file: string): DirectionFile {
  const members = unzipNpz(bytes, file, 'is neither HDF5 nor a readable .npz (zip) archive');
  const groups: Partial<Record<(typeof GROUPS)[number], ImportedTensor[]>> = {};
  for (const [member, content] of Object.entries(members)) {
    const match = /^(xdirection|ydirection)\/(.+)\.npy$/.exec(member);
    if (!match) continue;
    const array = parseNpy(content, `${file}/${member}`);
    const list = (groups[match[1] as (typeof GROUPS)[number]] ??= []);
    list.push({ index: list.length, name: match[2]!, shape: array.shape, values: Float32Array.from(array.values) });
  }
  if (!groups.xdirection) throw new ContractError(file, 'has no members xdirection/<parameter name>.npy');
  return { x: groups.xdirection, y: groups.ydirection ?? null };
}

/** A direction file from its bytes: HDF5 by its signature, else npz. */
export function readDirectionFile(bytes: Uint8Array, file: string): Promise<DirectionFile> | DirectionFile {
  return isH5(bytes) ? readH5Directions(bytes, file) : readNpzDirections(bytes, file);
}
