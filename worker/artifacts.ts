import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { ContractError, type RedisKeys, type SurfacePlan } from '../contract/index.ts';
import { decodeDataset, type DatasetArrays } from '../contract/dataset-codec.ts';
import type { ModelArtifact } from './engine/evaluator.ts';
import { layersModelArtifact } from './engine/tfjs/artifact.ts';
import { initializerFloats, readOnnxModel } from '../contract/onnx-model.ts';
import { builtinDataset } from './datasets/builtin.ts';

/** Artifacts by content hash from Redis (the API publishes them there), verified and cached per process. */
export class Artifacts {
  private readonly models = new Map<string, ModelArtifact>();
  private readonly datasets = new Map<string, DatasetArrays>();

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async blob(hash: string): Promise<Uint8Array> {
    const bytes = await this.redis.getBuffer(this.keys.blob(hash));
    if (!bytes) throw new Error(`blob ${hash} is not in Redis (was Redis restarted? resubmit the job)`);
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== hash) throw new Error(`blob ${hash} is corrupt (sha256 ${actual})`);
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  async model(ref: SurfacePlan['model']): Promise<ModelArtifact> {
    const cached = this.models.get(ref.hash);
    if (cached) return cached;
    const files: Record<string, Uint8Array> = {};
    for (const [name, hash] of Object.entries(ref.files)) files[name] = await this.blob(hash);
    const artifact = ref.format === 'onnx' ? onnxModelArtifact(files, ref.hash) : layersModelArtifact(files, ref.hash);
    this.models.set(ref.hash, artifact);
    return artifact;
  }

  async dataset(ref: SurfacePlan['dataset']): Promise<DatasetArrays> {
    if (!ref.hash) return builtinDataset(ref.id);
    const cached = this.datasets.get(ref.hash);
    if (cached) return cached;
    const arrays = decodeDataset(await this.blob(ref.hash));
    this.datasets.set(ref.hash, arrays);
    return arrays;
  }
}

export function onnxModelArtifact(files: Record<string, Uint8Array>, hash: string): ModelArtifact {
  const bytes = files['model.onnx'];
  if (!bytes) throw new ContractError('model.onnx', 'the model has no model.onnx file');
  const { description } = readOnnxModel(bytes);
  return { hash, format: 'onnx', files, parameters: description.parameters, outputActivation: description.outputActivation };
}

/**
 * θ*, flat in parameter-model order: for tfjs-layers, weights.bin is exactly that (float32 LE,
 * manifest order); for onnx, the initializers the parameter model names, in its order.
 */
export function initialParameters(model: ModelArtifact): Float32Array {
  const expected = model.parameters.reduce((n, p) => n + p.size, 0);
  if (model.format === 'onnx') {
    const initializers = new Map(readOnnxModel(model.files['model.onnx']!).model.graph!.initializer.map((t) => [t.name, t]));
    const theta = new Float32Array(expected);
    for (const p of model.parameters) theta.set(initializerFloats(initializers.get(p.name)!), p.offset);
    return theta;
  }
  const weights = model.files['weights.bin'];
  if (!weights) throw new ContractError('model', 'has no weights.bin');
  if (weights.byteLength !== expected * 4) throw new ContractError('weights.bin', `holds ${weights.byteLength} bytes, expected ${expected * 4}`);
  return new Float32Array(weights.slice().buffer);
}
