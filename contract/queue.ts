import type { LossName } from './losses.ts';
import type { Axis, Engine, EngineInfo, ResolvedDirectionOptions, Provenance } from './surface.ts';
import type { Split } from './datasets.ts';
import type { ModelFormat } from './models.ts';

/**
 * What crosses Redis between the API and the workers: queue names, job payloads and key names.
 * Artifacts travel by content hash (blobKey), so workers need no disk shared with the API.
 */
export const QUEUES = {
  /** One job per surface: plan (directions, chunk children), then assemble when the children finish. */
  surfaces: 'la-surfaces',
  /** One job per chunk (a run of grid points): CPU-bound, evaluated in sandboxed worker processes. */
  chunks: 'la-chunks',
  /** One job per training run (contract/training.ts): long, CPU-bound, in a sandboxed process. */
  trainings: 'la-trainings',
} as const;

/**
 * Every Redis key and BullMQ queue of one deployment lives under a namespace (env LA_NAMESPACE,
 * default "la"); tests use a fresh namespace each so they never see each other's jobs.
 */
export function redisKeys(namespace: string) {
  return {
    /** BullMQ `prefix` option for every queue of this namespace. */
    bullPrefix: `${namespace}:bull`,
    blob: (sha256: string) => `${namespace}:blob:${sha256}`,
    surface: (id: string) => `${namespace}:surface:${id}`,
    surfaceChunks: (id: string) => `${namespace}:surface:${id}:chunks`,
    surfaceEvents: (id: string) => `${namespace}:surface:${id}:events`,
    surfaceResult: (id: string) => `${namespace}:surface:${id}:result`,
    /** Hash of a training run's live state (TrainingState). */
    training: (id: string) => `${namespace}:training:${id}`,
    /** Stream of a training run's events: epoch, checkpoint, done, failed, cancelled. */
    trainingEvents: (id: string) => `${namespace}:training:${id}:events`,
    /** Sorted set of training ids by creation time (ms). */
    trainings: `${namespace}:trainings`,
    /** JSON ComparisonRecord state of a comparison (contract/comparisons.ts). */
    comparison: (id: string) => `${namespace}:comparison:${id}`,
    /** Sorted set of comparison ids by creation time (ms). */
    comparisons: `${namespace}:comparisons`,
    /** Heartbeat of a live worker process (JSON WorkerHeartbeat, expires when the worker dies). */
    worker: (id: string) => `${namespace}:worker:${id}`,
    workersPattern: `${namespace}:worker:*`,
  };
}
export type RedisKeys = ReturnType<typeof redisKeys>;

/** Fields of the Redis hash redisKeys(ns).surface(id). */
export interface SurfaceState {
  status: 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
  /** JSON of SurfacePlan, written by the API at submission. */
  plan: string;
  /** JSON of the directions' facts once generated: { hash, cosine }. */
  directions?: string;
  startedAt?: string;
  finishedAt?: string;
  /** JSON { code, message } when failed. */
  error?: string;
  cancelled?: '1';
}

/** Everything a worker needs to evaluate any point of a surface; written once at submission. */
export interface SurfacePlan {
  surfaceId: string;
  model: { id: string; hash: string; name: string; format: ModelFormat; files: Record<string, string> };
  dataset: { id: string; hash: string | null; split: Split; samples: number; sampleSeed: number };
  directions: ResolvedDirectionOptions;
  grid: { x: Axis; y: Axis | null };
  loss: LossName;
  batchSize: number;
  engine: Engine;
  /** Engine to use when `engine` cannot load the model (set when the request named no engine). */
  engineFallback?: Engine | null;
  /** Directions uploaded instead of generated (POST /api/v1/surfaces/with-directions): the blob of δ then η, float32 LE in parameter order. */
  importedDirections?: { hash: string; source: string } | null;
  provenance: Provenance;
}

export interface SurfaceJobData {
  surfaceId: string;
}

export interface ChunkJobData {
  surfaceId: string;
  index: number;
  iy: number;
  ix0: number;
  /** Exclusive end column. */
  ix1: number;
}

/** Deterministic job ids: re-adding the same surface or chunk is a no-op, never a duplicate. */
export const jobIds = {
  surface: (id: string) => `surface-${id}`,
  chunk: (id: string, index: number) => `chunk-${id}-${index}`,
  training: (id: string) => `training-${id}`,
};

export interface TrainingJobData {
  trainingId: string;
}

/** Fields of the Redis hash redisKeys(ns).training(id); JSON where noted. */
export interface TrainingState {
  status: 'queued' | 'running' | 'trained' | 'completed' | 'failed' | 'cancelled';
  /** JSON { request: ResolvedTrainingRequest, dataset: { id, hash } }, written by the API at submission. */
  plan: string;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  /** Last finished epoch. */
  epoch?: string;
  /** JSON EpochMetrics[]. */
  history?: string;
  /** JSON CheckpointInfo[]. */
  checkpoints?: string;
  /** JSON TrainingOutcome, written by the worker when training ends ('trained'); the API then registers the model. */
  outcome?: string;
  modelId?: string;
  /** JSON { code, message }. */
  error?: string;
  cancelled?: '1';
}

export interface WorkerHeartbeat {
  id: string;
  pid: number;
  host: string;
  engines: EngineInfo[];
  startedAt: string;
}
