import { Type, type Static, type TSchema } from 'typebox';
import { Compile, type Validator } from 'typebox/compile';
import { StoredComparison } from './comparisons.ts';
import type { DatasetRef } from './datasets.ts';
import type { LossName } from './losses.ts';
import { HessianMapResult, HessianPoint } from './metrics/hessian.ts';
import { SpectrumResult } from './metrics/spectrum.ts';
import type { ModelRef } from './models.ts';
import { ChunkValues, EngineInfo, SurfaceResult, type Axis, type Engine, type PreviewValues, type Progress, type ResolvedDirectionOptions, type Provenance, type SurfaceStatus, type Trajectory } from './surface.ts';
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
  /** Analyses of finished surfaces by job name: 'hessian-map' and its 'hessian-map-helper's (contract/metrics/hessian.ts), 'spectrum' (contract/metrics/spectrum.ts) and 'gradient-flow'. */
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
  // Maps and spectra take minutes; a priority puts them after the short gradient-flow jobs of the same
  // queue (jobs without one go first), so a comparison's flows never wait behind every member's map.
  hessianMap: { attempts: 3, backoff: { type: 'exponential', delay: 5000 }, priority: 10, removeOnComplete: true, removeOnFail: { age: DAY_SECONDS } },
  /**
   * A helper of a running map (queued by its owner job): never retried and never kept, so the
   * owner's next run can queue it again under the same id; a point it held is retaken once its
   * claim expires.
   */
  hessianMapHelper: { attempts: 1, priority: 10, removeOnComplete: true, removeOnFail: true },
  /** Deterministic exact products: a retry after a killed worker recomputes the same spectrum. */
  spectrum: { attempts: 3, backoff: { type: 'exponential', delay: 5000 }, priority: 10, removeOnComplete: true, removeOnFail: { age: DAY_SECONDS } },
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

/** A value read from Redis that is not what was written there: names where it is and what is wrong. */
export class StoredValueError extends Error {
  constructor(
    readonly where: string,
    problem: string,
  ) {
    super(`${where}: ${problem}`);
    this.name = 'StoredValueError';
  }
}

function parseJson(raw: string, where: string): unknown {
  try {
    return JSON.parse(raw);
  } catch (err) {
    throw new StoredValueError(where, `is not JSON (${(err as Error).message})`);
  }
}

/**
 * A JSON value kept in Redis (under a key, in a hash field, or as a job's progress or return
 * value): written as JSON, read back checked against its schema, so a malformed value fails with
 * an error naming where it was (`where`: the key, and field) instead of travelling on mistyped.
 */
export interface ValueCodec<T> {
  read(raw: string, where: string): T;
  /** null when the key is missing. */
  readOrNull(raw: string | null | undefined, where: string): T | null;
  /** Every value of a Redis hash of such values (HGETALL's answer), by field. */
  readHash(hash: Record<string, string>, key: string): Map<string, T>;
  /** An already parsed value (a job's progress, a return value BullMQ parsed). */
  check(value: unknown, where: string): T;
  write(value: T): string;
}

/** `what` names the value with its article ("a surface result"); `upgrade` fills in what values stored by an older version lack, before the check. */
function valueCodec<S extends TSchema>(what: string, schema: S, upgrade: (value: unknown) => unknown = (value) => value): ValueCodec<Static<S>> {
  // Compiled on first use: a 401×401 surface result is checked in milliseconds (Value.Check takes over a second).
  let compiled: Validator | undefined;
  const check = (value: unknown, where: string): Static<S> => {
    const upgraded = upgrade(value);
    const validator = (compiled ??= Compile(schema as TSchema));
    if (validator.Check(upgraded)) return upgraded as Static<S>;
    const [error] = validator.Errors(upgraded);
    throw new StoredValueError(where, `is not ${what}: ${error?.instancePath || '/'} ${error?.message ?? 'does not match its schema'}`);
  };
  const read = (raw: string, where: string) => check(parseJson(raw, where), where);
  return {
    read,
    readOrNull: (raw, where) => (raw === null || raw === undefined ? null : read(raw, where)),
    readHash: (hash, key) => new Map(Object.entries(hash).map(([field, raw]) => [field, read(raw, `${key} field ${field}`)])),
    check,
    write: (value) => JSON.stringify(value),
  };
}

/** Reads and writes one field of a Redis hash (every value there is a string). */
interface FieldCodec<V> {
  read(raw: string | undefined, where: string): V;
  /** undefined: the field is not written. */
  write(value: V): string | undefined;
}

const text = <V extends string = string>(): FieldCodec<V | null> => ({ read: (raw) => (raw as V | undefined) ?? null, write: (value) => value ?? undefined });
const count: FieldCodec<number> = { read: (raw) => (raw === undefined ? 0 : Number(raw)), write: (value) => String(value) };
const flag: FieldCodec<boolean> = { read: (raw) => raw === '1', write: (value) => (value ? '1' : undefined) };
/** JSON written by this project's own code in one step with the rest of the hash; its syntax is checked. */
const json = <V>(): FieldCodec<V | null> => ({ read: (raw, where) => (raw === undefined ? null : (parseJson(raw, where) as V)), write: (value) => (value === null ? undefined : JSON.stringify(value)) });

/** Typed access to a Redis hash: `read` decodes HGETALL's answer (`key` names it in errors), `write` encodes fields for HSET. */
export interface HashCodec<T> {
  read(hash: Record<string, string>, key?: string): T;
  write(fields: Partial<T>): Record<string, string>;
}

function hashCodec<T>(fields: { [K in keyof T]-?: FieldCodec<T[K]> }): HashCodec<T> {
  const names = Object.keys(fields) as (keyof T & string)[];
  return {
    read: (hash, key = 'a Redis hash') => Object.fromEntries(names.map((name) => [name, fields[name].read(hash[name], `${key} field ${name}`)])) as T,
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
  /** pca: the explained variance of PC1 and PC2, and the path projected onto the plane. */
  pca?: { explainedVarianceRatio: number[]; explainedVariance: number[]; trajectory: Trajectory };
}

/**
 * Where a surface's δ and η come from, resolved by the API (server/services/direction-kinds.ts) and
 * generated by the worker (worker/directions/kinds.ts); absent: random from plan.directions.
 */
export type PlannedDirections =
  | { kind: 'interpolation'; to: ModelRef; mode: 'weights' | 'states' }
  | { kind: 'models'; x: ModelRef; y: ModelRef; mode: 'weights' | 'states' }
  | { kind: 'pca'; checkpoints: { epoch: number; hash: string }[]; ignore: 'biasbn' | 'none'; mode: 'weights' | 'states' };

/** The split a row of evaluations uses: request.splits puts split k in row k of a 1D surface. */
export interface PlannedSplit {
  split: 'train' | 'test';
  samples: number;
}

/** BN statistics recomputed at each point on these train samples (request.bnRecalibration). */
export interface PlannedBnRecalibration {
  samples: number;
  sampleSeed: number;
  batchSize: number;
}

/** Rows of evaluations: grid.y's points, the splits of a 1D surface evaluated side by side, or 1. */
export function evaluationRows(plan: Pick<SurfacePlan, 'grid' | 'splits'>): number {
  return plan.grid.y?.num ?? plan.splits?.length ?? 1;
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
  model: ModelRef;
  dataset: DatasetRef;
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
  /** Directions of a kind other than random (request.directions.kind). */
  directionSource?: PlannedDirections | null;
  /** request.splits: row k of the 1D surface evaluates split k. */
  splits?: PlannedSplit[] | null;
  bnRecalibration?: PlannedBnRecalibration | null;
  /** request.progressive resolved: coarse to fine (contract/refinement.ts); absent or null: row by row. */
  progressive?: { previewSamples: number | null } | null;
  provenance: Provenance;
}

export interface SurfaceJobData {
  surfaceId: string;
}

export interface ChunkJobData {
  surfaceId: string;
  index: number;
  iy: number;
  /** Columns of row iy, ascending. */
  ix: number[];
  /** Refinement level of the points (0 row by row). */
  level: number;
  /** Evaluate on this many of the surface's samples and send the values as a preview event only (request.progressive.previewSamples); null: the surface's own values. */
  previewSamples: number | null;
}

/** A chunk job queued before progressive refinement: the contiguous run [ix0, ix1) of row iy. */
interface RowRunJob {
  surfaceId: string;
  index: number;
  iy: number;
  ix0: number;
  ix1: number;
}

/** A chunk job as ChunkJobData, whichever version queued it. */
export function chunkJob(data: ChunkJobData | RowRunJob): ChunkJobData {
  if ('ix' in data) return data;
  const { surfaceId, index, iy, ix0, ix1 } = data;
  return { surfaceId, index, iy, ix: Array.from({ length: ix1 - ix0 }, (_, k) => ix0 + k), level: 0, previewSamples: null };
}

/** Chunk values stored before progressive refinement: a run from column ix0, as long as loss, and no level. */
function withColumns(value: unknown): unknown {
  const stored = value as { ix?: unknown; ix0?: number; loss?: unknown } | null;
  if (!stored || stored.ix !== undefined || stored.ix0 === undefined || !Array.isArray(stored.loss)) return value;
  const { ix0, ...rest } = stored;
  return { ...rest, ix: stored.loss.map((_, k) => ix0 + k), level: 0 };
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
  /** The stored model the run trains further (request.model); absent for a new architecture. */
  model?: ModelRef;
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
  /** Owning tenant (see contract/tenant.ts); null when the hash predates tenancy. */
  tenant: string | null;
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
  tenant: text(),
});

/**
 * Events of a surface: its Redis stream redisKeys(ns).surfaceEvents(id), relayed as server-sent
 * events (GET /api/v1/surfaces/{id}/events; each event's id is its stream id, so Last-Event-ID
 * resumes) and read by the viewer's EventSource. chunk and progress are appended by the worker's
 * chunk script (worker/surface-state.ts) in one step with the values; preview (values on a subset of
 * the samples, request.progressive.previewSamples) is appended alone: it is stored nowhere else.
 */
export type SurfaceEvent =
  | { event: 'progress'; data: Progress }
  | { event: 'chunk'; data: ChunkValues }
  | { event: 'preview'; data: PreviewValues }
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

export const WorkerHeartbeat = Type.Object({
  id: Type.String(),
  pid: Type.Integer(),
  host: Type.String(),
  engines: Type.Array(EngineInfo),
  startedAt: Type.String(),
});
export type WorkerHeartbeat = Static<typeof WorkerHeartbeat>;

/** The progress an analysis job reports through BullMQ (Hessian map: points; spectrum: Hessian-vector products). */
export const JobProgress = Type.Object({ done: Type.Integer({ minimum: 0 }), total: Type.Integer({ minimum: 0 }) });
export type JobProgress = Static<typeof JobProgress>;

/** Comparisons stored before members had Hessian maps and gradient flows lack the fields. */
function withAnalysisFields(value: unknown): unknown {
  const members = (value as { members?: unknown } | null)?.members;
  if (!Array.isArray(members)) return value;
  return { ...(value as object), members: members.map((member: unknown) => (member && typeof member === 'object' ? { hessian: null, gradientFlow: [], ...member } : member)) };
}

/** Codecs of every JSON value the API and the workers exchange through Redis (see redisKeys, hessianKeys, spectrumKeys). */
export const storedValues = {
  /** redisKeys.surfaceChunks(id): chunk index → its values (written by the worker's chunk script). */
  chunkValues: valueCodec('chunk values', ChunkValues, withColumns),
  /** hessianKeys.points(surfaceId, jobId): `${iy},${ix}` → a finished point of a Hessian map. */
  hessianPoint: valueCodec('a Hessian map point', HessianPoint),
  /** redisKeys.surfaceResult(id). */
  surfaceResult: valueCodec('a surface result', SurfaceResult),
  /** hessianKeys.result(surfaceId), also a 'hessian-map' job's return value. */
  hessianMap: valueCodec('a Hessian map', HessianMapResult),
  /** spectrumKeys.result(spectrumId). */
  spectrum: valueCodec('a spectrum', SpectrumResult),
  /** redisKeys.comparison(id). */
  comparison: valueCodec('a comparison', StoredComparison, withAnalysisFields),
  /** redisKeys.worker(id). */
  workerHeartbeat: valueCodec('a worker heartbeat', WorkerHeartbeat),
  /** An analysis job's BullMQ progress. */
  jobProgress: valueCodec('job progress', JobProgress),
};
