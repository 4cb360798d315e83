import type { LossName } from './losses.ts';
import type { Axis, ChunkValues, Engine, EngineInfo, Progress, ResolvedDirectionOptions, Provenance, SurfaceStatus } from './surface.ts';
import type { Split } from './datasets.ts';
import type { ModelFormat } from './models.ts';
import type { CheckpointInfo, EpochMetrics, ResolvedTrainingRequest, TrainingOutcome } from './training.ts';

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
  /** Analyses of finished surfaces by job name: 'hessian-map' (contract/metrics/hessian.ts), 'spectrum' (contract/metrics/spectrum.ts) and 'gradient-flow'. */
  analysis: 'la-analysis',
} as const;

const DAY_SECONDS = 86_400;

/**
 * BullMQ job options of each kind of job, in one place. Failed jobs are kept longer than
 * completed ones so their errors can be read.
 */
export const JOB_OPTIONS = {
  /** A surface's parent job: retried on a worker's death (its plan step is idempotent). */
  surface: { attempts: 3, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: { age: DAY_SECONDS }, removeOnFail: { age: 7 * DAY_SECONDS } },
  /** A chunk: idempotent (values keyed by chunk index), so retried; its failure for good fails the surface. */
  chunk: { attempts: 3, backoff: { type: 'exponential', delay: 1000 }, failParentOnFailure: true, removeOnComplete: { age: 3600 }, removeOnFail: { age: 7 * DAY_SECONDS } },
  /** Training is deterministic: a retry would fail the same way. */
  training: { attempts: 1, removeOnComplete: { age: DAY_SECONDS }, removeOnFail: { age: 7 * DAY_SECONDS } },
  /** A worker killed mid-map resumes from its last finished point, so a retry costs little. */
  hessianMap: { attempts: 3, backoff: { type: 'exponential', delay: 5000 }, removeOnComplete: true, removeOnFail: { age: DAY_SECONDS } },
  /** Deterministic exact products: a retry after a killed worker recomputes the same spectrum. */
  spectrum: { attempts: 3, backoff: { type: 'exponential', delay: 5000 }, removeOnComplete: true, removeOnFail: { age: DAY_SECONDS } },
  /** Short and optional: a failure leaves the flow out of its comparison. */
  gradientFlow: { attempts: 1, removeOnComplete: { age: 3600 }, removeOnFail: { age: DAY_SECONDS } },
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
    /** Sorted set of live worker ids, each scored by when its heartbeat expires (ms): /health reads it instead of KEYS. */
    workers: `${namespace}:workers`,
  };
}
export type RedisKeys = ReturnType<typeof redisKeys>;

/** Reads and writes one field of a Redis hash (every value there is a string). */
interface FieldCodec<V> {
  read(raw: string | undefined): V;
  /** undefined: the field is not written. */
  write(value: V): string | undefined;
}

const text = <V extends string = string>(): FieldCodec<V | null> => ({ read: (raw) => (raw as V | undefined) ?? null, write: (value) => value ?? undefined });
const count: FieldCodec<number> = { read: (raw) => (raw === undefined ? 0 : Number(raw)), write: (value) => String(value) };
const flag: FieldCodec<boolean> = { read: (raw) => raw === '1', write: (value) => (value ? '1' : undefined) };
const json = <V>(): FieldCodec<V | null> => ({ read: (raw) => (raw === undefined ? null : (JSON.parse(raw) as V)), write: (value) => (value === null ? undefined : JSON.stringify(value)) });

/** Typed access to a Redis hash: `read` decodes HGETALL's answer, `write` encodes fields for HSET. */
export interface HashCodec<T> {
  read(hash: Record<string, string>): T;
  write(fields: Partial<T>): Record<string, string>;
}

function hashCodec<T>(fields: { [K in keyof T]-?: FieldCodec<T[K]> }): HashCodec<T> {
  const names = Object.keys(fields) as (keyof T & string)[];
  return {
    read: (hash) => Object.fromEntries(names.map((name) => [name, fields[name].read(hash[name])])) as T,
    write: (values) => {
      const out: Record<string, string> = {};
      for (const name of names) {
        if (!(name in values)) continue;
        const raw = fields[name].write(values[name] as T[typeof name]);
        if (raw !== undefined) out[name] = raw;
      }
      return out;
    },
  };
}

export interface JobError {
  code: string;
  message: string;
}

/** Facts about a surface's directions once the worker has generated them. */
export interface DirectionsFacts {
  /** sha256 of δ (then η) as float32 LE: the blob holding them. */
  hash: string;
  /** cos(δ, η); null for a 1D surface. */
  cosine: number | null;
  rng: string;
}

/** The Redis hash redisKeys(ns).surface(id): a surface's live state while workers run. */
export interface SurfaceState {
  /** null: the hash is gone (Redis lost it). */
  status: SurfaceStatus | null;
  /** Written by the API at submission. */
  plan: SurfacePlan | null;
  directions: DirectionsFacts | null;
  /** Number of chunk jobs, once planned. */
  chunks: number;
  /** Grid points evaluated, and of how many. */
  done: number;
  total: number;
  /** Worker seconds summed over finished chunks. */
  seconds: number;
  /** The engine of the first finished chunk. */
  engine: EngineInfo | null;
  /** sha256 of the chosen sample indices (int32 LE). */
  indicesHash: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  error: JobError | null;
  cancelled: boolean;
}

export const surfaceState = hashCodec<SurfaceState>({
  status: text<SurfaceStatus>(),
  plan: json<SurfacePlan>(),
  directions: json<DirectionsFacts>(),
  chunks: count,
  done: count,
  total: count,
  seconds: count,
  engine: json<EngineInfo>(),
  indicesHash: text(),
  startedAt: text(),
  finishedAt: text(),
  error: json<JobError>(),
  cancelled: flag,
});

/** Everything a worker needs to evaluate any point of a surface; written once at submission. */
export interface SurfacePlan {
  surfaceId: string;
  model: { id: string; hash: string; name: string; format: ModelFormat; files: Record<string, string> };
  dataset: { id: string; hash: string | null; split: Split; samples: number; sampleSeed: number };
  directions: ResolvedDirectionOptions;
  grid: { x: Axis; y: Axis | null };
  loss: LossName;
  /** Resolved SurfaceRequest.bootstrap; absent or null: none. */
  bootstrap?: { resamples: number; seed: number } | null;
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

/** What the API resolved for a training run at submission. */
export interface TrainingPlan {
  request: ResolvedTrainingRequest;
  dataset: { id: string; hash: string | null };
}

/** 'trained': the worker is done, the API is registering the model (internal, shown as running). */
export type TrainingStatus = 'queued' | 'running' | 'trained' | 'completed' | 'failed' | 'cancelled';

/** The Redis hash redisKeys(ns).training(id): a training run's live state (also its copy on disk). */
export interface TrainingState {
  /** null: the hash is gone. */
  status: TrainingStatus | null;
  plan: TrainingPlan | null;
  createdAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  /** Last finished epoch. */
  epoch: number;
  history: EpochMetrics[] | null;
  checkpoints: CheckpointInfo[] | null;
  /** Written by the worker when training ends ('trained'); the API then registers the model. */
  outcome: TrainingOutcome | null;
  modelId: string | null;
  error: JobError | null;
  cancelled: boolean;
}

export const trainingState = hashCodec<TrainingState>({
  status: text<TrainingStatus>(),
  plan: json<TrainingPlan>(),
  createdAt: text(),
  startedAt: text(),
  finishedAt: text(),
  epoch: count,
  history: json<EpochMetrics[]>(),
  checkpoints: json<CheckpointInfo[]>(),
  outcome: json<TrainingOutcome>(),
  modelId: text(),
  error: json<JobError>(),
  cancelled: flag,
});

/**
 * Events of a surface: its Redis stream redisKeys(ns).surfaceEvents(id), relayed as server-sent
 * events (GET /api/v1/surfaces/{id}/events; each event's id is its stream id, so Last-Event-ID
 * resumes) and read by the viewer's EventSource. chunk and progress are appended by the worker's
 * chunk script (worker/surface-state.ts) in one step with the values.
 */
export type SurfaceEvent =
  | { event: 'progress'; data: Progress }
  | { event: 'chunk'; data: ChunkValues }
  | { event: 'done'; data: { status: 'completed' } }
  | { event: 'failed'; data: JobError }
  | { event: 'cancelled'; data: Record<string, never> };
export type SurfaceEventName = SurfaceEvent['event'];

/** Events of a training run: redisKeys(ns).trainingEvents(id), relayed at GET /api/v1/trainings/{id}/events. */
export type TrainingEvent =
  | { event: 'started'; data: { epochs: number } }
  | { event: 'epoch'; data: EpochMetrics }
  | { event: 'checkpoint'; data: CheckpointInfo }
  | { event: 'trained'; data: { finalTrain: TrainingOutcome['finalTrain']; finalTest: TrainingOutcome['finalTest']; seconds: number } }
  | { event: 'done'; data: { status: 'completed'; modelId: string | null } }
  | { event: 'failed'; data: JobError | null }
  | { event: 'cancelled'; data: Record<string, never> };
export type TrainingEventName = TrainingEvent['event'];

/** After one of these a stream ends. */
export const TERMINAL_EVENTS: readonly string[] = ['done', 'failed', 'cancelled'] satisfies (SurfaceEventName & TrainingEventName)[];

/** The fields of a stream entry for XADD key * ...fields. */
export function eventFields(event: SurfaceEvent | TrainingEvent): [string, string, string, string] {
  return ['event', event.event, 'data', JSON.stringify(event.data)];
}

/** A stream entry's fields (from XREAD) as its event name and raw JSON data. */
export function readEventFields(fields: string[]): { event: string; data: string } {
  return { event: fields[fields.indexOf('event') + 1]!, data: fields[fields.indexOf('data') + 1]! };
}

/** A worker's heartbeat lasts this long unless renewed (it beats every third of it). */
export const HEARTBEAT_TTL_MS = 15_000;

export interface WorkerHeartbeat {
  id: string;
  pid: number;
  host: string;
  engines: EngineInfo[];
  startedAt: string;
}
