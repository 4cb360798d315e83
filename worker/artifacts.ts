import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { DatasetRef, ModelFormat, ModelRef, RedisKeys } from '../contract/index.ts';
import { decodeDataset, type DatasetArrays } from '../contract/dataset-codec.ts';
import { modelFormat } from '../contract/formats/index.ts';
import type { ModelArtifact } from './engine/evaluator.ts';
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

  async model(ref: ModelRef): Promise<ModelArtifact> {
    const cached = this.models.get(ref.hash);
    if (cached) return cached;
    const files: Record<string, Uint8Array> = {};
    for (const [name, hash] of Object.entries(ref.files)) files[name] = await this.blob(hash);
    const artifact = modelArtifact(ref.format, files, ref.hash);
    this.models.set(ref.hash, artifact);
    return artifact;
  }

  async dataset(ref: DatasetRef): Promise<DatasetArrays> {
    if (!ref.hash) return builtinDataset(ref.id);
    const cached = this.datasets.get(ref.hash);
    if (cached) return cached;
    const arrays = decodeDataset(await this.blob(ref.hash));
    this.datasets.set(ref.hash, arrays);
    return arrays;
  }
}

/** A model as the engines receive it, its parameter model read from its files by its format. `hash` identifies it. */
export function modelArtifact(format: ModelFormat, files: Record<string, Uint8Array>, hash: string): ModelArtifact {
  const { parameters, outputActivation } = modelFormat(format).describe(files);
  return { hash, format, files, parameters, outputActivation };
}

/** θ*: the model's stored (trained) parameters, flat in parameter-model order. */
export function storedParameters(model: ModelArtifact): Float32Array {
  return modelFormat(model.format).storedParameters(model.files, model.parameters);
}
