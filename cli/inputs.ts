import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { BUILTIN_DATASETS, ContractError, type DatasetTask, type LossName, type ModelFormat } from '../contract/index.ts';
import { encodeDataset, type DatasetArrays } from '../contract/dataset-codec.ts';
import { detectFormat, type ModelFormatSpec } from '../contract/formats/index.ts';
import { parseDatasetUpload } from '../server/datasets/parse-upload.ts';
import { modelArtifact } from '../worker/artifacts.ts';
import { builtinDataset } from '../worker/datasets/builtin.ts';
import type { ModelArtifact } from '../worker/engine/evaluator.ts';
import { UsageError } from './usage-error.ts';


const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

/** A model from disk as the service stores it: the same canonical files, hash and parameter model. */
export interface LocalModel {
  id: string;
  name: string;
  format: ModelFormat;
  files: Record<string, Uint8Array>;
  hash: string;
  inputShape: number[];
  loss: LossName | null;
  artifact: ModelArtifact;
}

async function readOrUsage(path: string, flag: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (err) {
    throw new UsageError(flag, `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/**
 * --model: a .onnx file, a model.json (its shards beside it), or a folder holding either.
 * Files are made canonical exactly as an upload is (server/stores/models.ts), so the model hash
 * equals the one the service records for the same files.
 */
export async function loadModel(path: string): Promise<LocalModel> {
  const flag = '--model';
  let file = path;
  const info = await stat(path).catch(() => null);
  if (!info) throw new UsageError(flag, `${path} does not exist`);
  if (info.isDirectory()) {
    const names = await readdir(path);
    const chosen = names.includes('model.json') ? 'model.json' : names.find((n) => n.endsWith('.onnx'));
    if (!chosen) throw new UsageError(flag, `${path} holds neither model.json nor a .onnx file`);
    file = join(path, chosen);
  }
  // The upload's files by name, made canonical by their format exactly as the service does.
  const uploaded: Record<string, Uint8Array> = {};
  const singleFile = extname(file) === '.onnx';
  let spec: ModelFormatSpec;
  let stored: ReturnType<ModelFormatSpec['canonicalize']>;
  try {
    if (singleFile) {
      uploaded['model.onnx'] = await readOrUsage(file, flag);
    } else {
      const json = await readOrUsage(file, flag);
      const manifest = JSON.parse(new TextDecoder().decode(json)) as { weightsManifest?: { paths?: string[] }[] };
      uploaded['model.json'] = json;
      for (const shard of (manifest.weightsManifest ?? []).flatMap((g) => g.paths ?? [])) uploaded[shard] = await readOrUsage(join(dirname(file), shard), flag);
    }
    spec = detectFormat(Object.keys(uploaded));
    stored = spec.canonicalize(uploaded);
  } catch (err) {
    if (err instanceof ContractError || err instanceof SyntaxError) throw new UsageError(flag, `${file}: ${err.message}`);
    throw err;
  }
  const { files, description } = stored;
  const format = spec.id;
  const hashes = Object.fromEntries(Object.entries(files).map(([name, bytes]) => [name, sha256(bytes)]));
  const hash = sha256(Object.keys(hashes).sort().map((k) => `${k}:${hashes[k]}`).join('\n'));
  const artifact = modelArtifact(format, files, hash);
  const id = info.isDirectory() ? basename(resolve(path)) : singleFile ? basename(file, '.onnx') : basename(dirname(resolve(file)));
  return { id, name: id, format, files, hash, inputShape: description.inputShape, loss: description.trainingLoss, artifact };
}

export interface LocalDataset {
  id: string;
  /** sha256 of the canonical encoding (as the service stores an upload); null for built-in sets. */
  hash: string | null;
  task: DatasetTask;
  inputShape: number[];
  /** Classes of a classification or segmentation set; null for regression. */
  classes: number | null;
  arrays: DatasetArrays;
}

/**
 * --dataset: a built-in name (mnist, spirals, …), an .npz, an x.npy,y.npy pair (comma-separated) or
 * a .json, read by the same parser as an upload (server/datasets/parse-upload.ts).
 */
export async function loadDataset(spec: string, task?: string): Promise<LocalDataset> {
  const flag = '--dataset';
  if (BUILTIN_DATASETS.some((d) => d.id === spec)) {
    const arrays = builtinDataset(spec);
    return { id: spec, hash: null, task: arrays.task, inputShape: arrays.inputShape, classes: arrays.classes, arrays };
  }
  const paths = spec.split(',');
  const files = [];
  for (const path of paths) files.push({ name: basename(path), bytes: await readOrUsage(path, flag) });
  try {
    const arrays = parseDatasetUpload(files, task ? { task } : {});
    return { id: basename(paths[0]!), hash: sha256(encodeDataset(arrays)), task: arrays.task, inputShape: arrays.inputShape, classes: arrays.classes, arrays };
  } catch (err) {
    if (err instanceof ContractError) throw new UsageError(flag, err.message);
    throw err;
  }
}
