import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { Queue, QueueEvents } from 'bullmq';
import {
  eventFields,
  JOB_OPTIONS,
  jobIds,
  readEventFields,
  storedValues,
  surfaceState,
  TERMINAL_EVENTS,
  LIMITS,
  BOOTSTRAP_DEFAULTS,
  MAX_BOOTSTRAP_DRAWS,
  lossHasAccuracy,
  QUEUES,
  type DatasetInfo,
  type Split,
  type LossName,
  type ModelRecord,
  type RedisKeys,
  type SurfacePlan,
  type SurfaceRecord,
  type SurfaceRequest,
  type SurfaceResult,
  type SurfaceJobData,
  type SurfaceState,
  type Axis,
  type PlannedSplit,
  type Tenant,
  evaluationRows,
  gridLevels,
  modelRef,
  requestAxes,
  randomDirectionOptions,
} from '../../contract/index.ts';
import type { TrainingRecord } from '../../contract/training.ts';
import { resolveDirectionKind, type CheckpointSet } from './direction-kinds.ts';
import { modelFormat, type ModelFormatSpec } from '../../contract/formats/index.ts';
import { badRequest, HttpError, notFound } from '../errors.ts';
import type { BlobStore } from '../stores/blobs.ts';
import type { DatasetStore } from '../stores/datasets.ts';
import type { ModelStore } from '../stores/models.ts';
import { readJsonDir, readJsonOrNull, removeFile, writeAtomic } from '../stores/files.ts';
import { VERSION } from '../version.ts';
import { canRead, ownerOf, readable, writable, type Principal } from '../tenancy.ts';
import { Waiters } from './waiters.ts';

const FINAL = new Set(['completed', 'failed', 'cancelled']);
/** Defaults of a surface request (the CLI's too). */
export const DEFAULTS = { split: 'test', samples: 1000, sampleSeed: 0, seed: 0, normalization: 'filter', ignore: 'biasbn', mode: 'weights', batchSize: 128, bnSamples: 1000 } as const;

export interface SurfaceServiceOptions {
  dataDir: string;
  redis: Redis;
  keys: RedisKeys;
  blobs: BlobStore;
  models: ModelStore;
  datasets: DatasetStore;
  defaultEngine: SurfacePlan['engine'];
  /** A training's record (PCA directions of its checkpoints). */
  training(id: string, viewer: Principal): Promise<TrainingRecord>;
}

/** Directions or checkpoints uploaded with a surface request (server/routes/imports.ts). */
export interface SurfaceUploads {
  /** A stored blob of δ (then η) to use instead of generating them from the seed. */
  directions?: { hash: string; source: string };
  /** The trajectory of PCA directions. */
  checkpoints?: CheckpointSet;
}

/** How long a failed surface job may wait for the worker to record the failure (it does so just after BullMQ fails the job). */
const FAILURE_RECORD_TIMEOUT_MS = 30_000;

/**
 * Surfaces from request to stored result. The record (request, plan, provenance) is written to
 * disk before the job is queued; live state is in Redis while workers run; the finished result
 * is copied to disk when the surface job ends (a QueueEvents handler) or, for what ended while
 * the API was down, at start, where work Redis lost is re-queued. Reads have no side effects.
 */
export class SurfaceService {
  readonly queue: Queue<SurfaceJobData>;
  readonly chunkQueue: Queue;
  private events?: QueueEvents;
  private readonly records = new Map<string, SurfaceRecord>();
  private readonly finals = new Waiters<SurfaceRecord>();
  /** Surfaces whose job ended but whose end could not be recorded, and why: their waiters are rejected with it. */
  private readonly unrecordedEnds = new Map<string, Error>();

  constructor(private readonly o: SurfaceServiceOptions) {
    const connection = o.redis;
    this.queue = new Queue(QUEUES.surfaces, { connection, prefix: o.keys.bullPrefix });
    this.chunkQueue = new Queue(QUEUES.chunks, { connection, prefix: o.keys.bullPrefix });
  }

  private recordPath(id: string) {
    return join(this.o.dataDir, `${id}.json`);
  }
  private planPath(id: string) {
    return join(this.o.dataDir, `${id}.plan.json`);
  }
  private resultPath(id: string) {
    return join(this.o.dataDir, `${id}.result.json`);
  }

  /** Load records, listen for finished jobs, then finish what finished while the API was down and re-queue what Redis lost. */
  async start(): Promise<void> {
    for (const record of await readJsonDir<SurfaceRecord>(this.o.dataDir)) {
      if ('id' in record && 'status' in record && 'request' in record) this.records.set(record.id, record);
    }
    this.events = new QueueEvents(QUEUES.surfaces, { connection: this.o.redis.duplicate({ maxRetriesPerRequest: null }), prefix: this.o.keys.bullPrefix });
    const surfaceOf = (jobId: string) => jobId.replace(/^surface-/, '');
    this.events.on('completed', ({ jobId }) => void this.jobEnded(surfaceOf(jobId), 'completed'));
    this.events.on('failed', ({ jobId, failedReason }) => void this.jobEnded(surfaceOf(jobId), 'failed', failedReason));
    await this.events.waitUntilReady();
    for (const record of [...this.records.values()]) {
      if (FINAL.has(record.status)) continue;
      const state = await this.liveState(record.id);
      if (!state.plan) await this.requeue(record.id);
      else if (state.status && FINAL.has(state.status)) await this.finalize(record.id);
    }
  }

  /**
   * A surface's job ended: copy the end to disk and wake the waiters. An end that cannot be
   * recorded (the surface's state is gone from Redis, its result is missing or malformed, a
   * failure the worker never recorded) rejects the waiters instead of leaving them waiting.
   */
  private async jobEnded(id: string, end: 'completed' | 'failed', failedReason?: string): Promise<void> {
    if (!this.records.has(id)) return;
    try {
      const record = end === 'completed' ? await this.finalize(id) : await this.finalizeFailed(id, failedReason ?? 'unknown reason');
      if (record && !FINAL.has(record.status)) {
        throw new HttpError(500, 'SURFACE_END_NOT_RECORDED', `the job of surface ${id} ${end}, but the surface's state in Redis is ${(await this.liveState(id)).status ?? 'gone'}`);
      }
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      this.unrecordedEnds.set(id, error);
      this.finals.reject(id, error);
    }
  }

  /**
   * BullMQ fails a surface's job (a chunk failed for good) just before the worker records the
   * failure in the surface's state and event stream: finalize once that terminal event is there.
   * null: the job is being retried, so this was no end.
   */
  private async finalizeFailed(id: string, failedReason: string): Promise<SurfaceRecord | null> {
    const finalized = await this.finalize(id);
    if (FINAL.has(finalized.status)) return finalized;
    const job = await this.queue.getJob(jobIds.surface(id));
    if (job && !(await job.isFailed())) return null;
    const unrecorded = (why: string) => new HttpError(500, 'SURFACE_END_NOT_RECORDED', `the job of surface ${id} failed (${failedReason}), but ${why}`);
    // The worker records a failure by moving the surface's status: with no status, nothing ever will.
    if (!(await this.liveState(id)).status) throw unrecorded('the surface\'s state is gone from Redis');
    const reader = this.o.redis.duplicate();
    try {
      let lastId = '0-0';
      for (const deadline = Date.now() + FAILURE_RECORD_TIMEOUT_MS; Date.now() < deadline;) {
        const entries = (await reader.xread('COUNT', 200, 'BLOCK', 1000, 'STREAMS', this.o.keys.surfaceEvents(id), lastId)) as [string, [string, string[]][]][] | null;
        for (const [entryId, fields] of entries?.[0]?.[1] ?? []) {
          lastId = entryId;
          if (TERMINAL_EVENTS.includes(readEventFields(fields).event)) return await this.finalize(id);
        }
      }
    } finally {
      reader.disconnect();
    }
    throw unrecorded(`no worker recorded the failure within ${FAILURE_RECORD_TIMEOUT_MS / 1000} s`);
  }

  async close(): Promise<void> {
    await this.events?.close();
    await this.queue.close();
    await this.chunkQueue.close();
  }

  /** Resolve defaults and check the request against the model and dataset the viewer may read; 4xx naming the field. */
  plan(request: SurfaceRequest, id: string, viewer: Principal): SurfacePlan {
    const model = this.o.models.readable(request.model, viewer, 'model');
    const { dataset, split, samples, splits, loss, x, y } = this.checkSettings(request, viewer, model);
    const randomOptions = randomDirectionOptions(request.directions);
    if ((randomOptions.ensemble ?? 1) > 1) {
      throw badRequest('ENSEMBLE_NOT_HERE', `directions.ensemble = ${randomOptions.ensemble} asks for that many surfaces: only POST /api/v1/surfaces makes ensembles`, 'directions.ensemble');
    }
    const directions = {
      seed: randomOptions.seed ?? DEFAULTS.seed,
      normalization: randomOptions.normalization ?? DEFAULTS.normalization,
      ignore: randomOptions.ignore ?? DEFAULTS.ignore,
      mode: randomOptions.mode ?? DEFAULTS.mode,
    };
    const bootstrap = request.bootstrap ? { resamples: request.bootstrap.resamples ?? BOOTSTRAP_DEFAULTS.resamples, seed: request.bootstrap.seed ?? BOOTSTRAP_DEFAULTS.seed } : null;
    if (bootstrap && bootstrap.resamples * samples > MAX_BOOTSTRAP_DRAWS) {
      throw badRequest('BOOTSTRAP_TOO_LARGE', `bootstrap.resamples × samples = ${bootstrap.resamples * samples} exceeds ${MAX_BOOTSTRAP_DRAWS} draws per point`, 'bootstrap.resamples');
    }
    const batchSize = request.batchSize ?? DEFAULTS.batchSize;
    const sampleSeed = request.dataset.sampleSeed ?? DEFAULTS.sampleSeed;
    const engine = request.engine ?? this.o.defaultEngine;
    const bnRecalibration = request.bnRecalibration ? this.planBnRecalibration(request.bnRecalibration, engine, model, dataset, batchSize) : null;
    const progressive = planProgressive(request.progressive, splits?.map((s) => s.samples) ?? [samples]);
    const levels = progressive && gridLevels(x.num, evaluationRows({ grid: { x, y }, splits }), y !== null);
    return {
      surfaceId: id,
      model: modelRef(model),
      dataset: { id: dataset.id, hash: dataset.hash, split, samples, sampleSeed },
      directions,
      grid: { x, y: y ?? null },
      loss,
      bootstrap,
      batchSize,
      engine,
      // BN recalibration runs on onnxruntime only: no silent fallback to an engine without it.
      engineFallback: request.engine || this.o.defaultEngine === 'tfjs' || bnRecalibration ? null : 'tfjs',
      splits,
      bnRecalibration,
      progressive,
      provenance: {
        model: { id: model.id, name: model.name, hash: model.hash, parameterCount: model.parameterCount },
        dataset: { id: dataset.id, hash: dataset.hash, split, samples, sampleSeed, indicesHash: null },
        directions: { ...directions, hash: null, cosine: null, rng: '' },
        ...(splits ? { splits } : {}),
        ...(bnRecalibration
          ? {
              bnRecalibration: {
                split: 'train' as const,
                ...bnRecalibration,
                variance: 'biased' as const,
                layers: model.parameters.filter((p) => p.role === 'bn_moving_mean').length,
              },
            }
          : {}),
        progressive: progressive && levels && { levels: levels.count, levelPoints: levels.points, previewSamples: progressive.previewSamples },
        loss,
        batchSize,
        engine: null,
        software: { lossAtlas: VERSION, node: process.version },
      },
    };
  }

  /**
   * Checks what a request fixes besides its model — dataset (one the viewer may read), split(s),
   * samples, loss, grid — and resolves them; 4xx naming the field. Without `model` (a comparison
   * member still to be trained) the loss is checked against the dataset alone.
   */
  checkSettings(
    request: Omit<SurfaceRequest, 'model'>,
    viewer: Principal,
    model?: ModelRecord,
  ): { dataset: DatasetInfo; split: Split; samples: number; splits: PlannedSplit[] | null; loss: LossName; x: Axis; y: Axis | null } {
    const dataset = this.o.datasets.readable(request.dataset.id, viewer, 'dataset.id');
    const field = request.splits ? 'splits' : 'dataset.split';
    const samplesOf = (split: Split): number => {
      const available = split === 'both' ? dataset.splits.train + dataset.splits.test : dataset.splits[split];
      if (available === 0) throw badRequest('EMPTY_SPLIT', `dataset "${dataset.id}" has no ${split} samples`, field);
      const samples = request.dataset.samples ?? Math.min(DEFAULTS.samples, available);
      if (samples > available) {
        throw badRequest('TOO_MANY_SAMPLES', `dataset.samples is ${samples}, but the ${split} split of dataset "${dataset.id}" has ${available} samples`, 'dataset.samples');
      }
      return samples;
    };
    const splits = request.splits?.map((split) => ({ split, samples: samplesOf(split) })) ?? null;
    const split = splits?.[0]!.split ?? request.dataset.split ?? DEFAULTS.split;
    const samples = splits?.[0]!.samples ?? samplesOf(split);
    if (model) checkShapes(model, dataset);
    const loss = resolveLoss(request.loss, model ?? { loss: null }, dataset);
    if (!request.grid.x && request.directions?.kind !== 'interpolation') throw badRequest('FIELD_MISSING', 'grid.x is required (only an interpolation has a default α range)', 'grid.x');
    const { x, y } = requestAxes(request);
    for (const [name, axis] of [['grid.x', x], ['grid.y', y]] as const) {
      if (axis && !(axis.max > axis.min)) throw badRequest('BAD_AXIS', `${name}.max must be greater than ${name}.min`, name);
    }
    if (splits && y) throw badRequest('SPLITS_NEED_1D', 'splits evaluates a 1D line on each split side by side: leave out grid.y', 'splits');
    const points = x.num * (y?.num ?? 1);
    if (points > LIMITS.maxGridPoints) throw badRequest('GRID_TOO_LARGE', `${points} grid points exceed the limit of ${LIMITS.maxGridPoints}`, 'grid');
    return { dataset, split, samples, splits, loss, x, y };
  }

  /** request.bnRecalibration resolved; 400 naming it where the engine or the model cannot. */
  private planBnRecalibration(
    options: NonNullable<SurfaceRequest['bnRecalibration']>,
    engine: SurfacePlan['engine'],
    model: ModelRecord,
    dataset: DatasetInfo,
    batchSize: number,
  ): NonNullable<SurfacePlan['bnRecalibration']> {
    if (engine !== 'onnx') {
      throw badRequest('UNSUPPORTED_OPTION', `bnRecalibration runs on the onnx engine only; engine ${engine} keeps the stored BN statistics (leave engine out or set it to onnx)`, 'bnRecalibration');
    }
    if (!modelFormat(model.format).capabilities.engines.includes('onnx')) {
      throw badRequest('UNSUPPORTED_OPTION', `bnRecalibration needs the onnx engine, which does not evaluate ${model.format} models`, 'bnRecalibration');
    }
    if (!model.parameters.some((p) => p.role === 'bn_moving_mean')) {
      throw badRequest('NO_BATCH_NORMALIZATION', `model "${model.id}" has no BatchNormalization statistics to recalibrate`, 'bnRecalibration');
    }
    if (dataset.splits.train < 2) throw badRequest('EMPTY_SPLIT', `bnRecalibration needs train samples; dataset "${dataset.id}" has ${dataset.splits.train}`, 'bnRecalibration');
    return {
      samples: Math.min(options.samples ?? DEFAULTS.bnSamples, dataset.splits.train),
      sampleSeed: options.sampleSeed ?? DEFAULTS.sampleSeed,
      batchSize: options.batchSize ?? batchSize,
    };
  }

  /** A surface of the viewer's tenant; `uploads`: directions or checkpoints sent with the request. */
  async submit(request: SurfaceRequest, viewer: Principal, uploads: SurfaceUploads = {}): Promise<SurfaceRecord> {
    const id = randomUUID();
    const plan = this.plan(request, id, viewer);
    const kind = await resolveDirectionKind(request.directions, {
      model: this.o.models.readable(request.model, viewer, 'model'),
      readableModel: (modelId, field) => this.o.models.readable(modelId, viewer, field),
      dimensions: plan.grid.y ? 2 : 1,
      training: (trainingId) => this.o.training(trainingId, viewer),
      uploadedCheckpoints: uploads.checkpoints,
    });
    if (kind && uploads.directions) throw badRequest('KIND_MISMATCH', `uploaded directions are taken as they are: leave out directions.kind ${kind.planned.kind}`, 'request.directions.kind');
    if (kind) {
      plan.directionSource = kind.planned;
      plan.provenance.directions = { ...plan.provenance.directions, seed: 0, ...kind.provenance };
    }
    if (uploads.directions) {
      plan.importedDirections = uploads.directions;
      plan.provenance.directions.rng = `imported: ${uploads.directions.source}`;
    }
    const record: SurfaceRecord = {
      id,
      name: request.name ?? null,
      kind: plan.grid.y ? '2d' : '1d',
      status: 'queued',
      progress: { done: 0, total: plan.grid.x.num * evaluationRows(plan) },
      // grid.x resolved (an interpolation's default α range), so every record states its axes.
      request: { ...request, grid: { ...request.grid, x: plan.grid.x } },
      provenance: plan.provenance,
      timings: { createdAt: new Date().toISOString(), startedAt: null, finishedAt: null, secondsPerPoint: null },
      error: null,
      tenant: viewer.tenant,
    };
    await writeAtomic(this.planPath(id), JSON.stringify(plan));
    await writeAtomic(this.recordPath(id), JSON.stringify(record));
    try {
      await this.enqueue(plan);
    } catch (err) {
      // Nothing half-queued stays behind; the app's error handler tells an outage (503) from a bug.
      await removeFile(this.recordPath(id));
      await removeFile(this.planPath(id));
      throw err;
    }
    this.records.set(id, record);
    return record;
  }

  private async enqueue(plan: SurfacePlan): Promise<void> {
    for (const hash of Object.values(plan.model.files)) await this.o.blobs.publish(hash);
    if (plan.dataset.hash) await this.o.blobs.publish(plan.dataset.hash);
    if (plan.importedDirections) await this.o.blobs.publish(plan.importedDirections.hash);
    if (plan.directionSource?.kind === 'pca') for (const checkpoint of plan.directionSource.checkpoints) await this.o.blobs.publish(checkpoint.hash);
    for (const ref of directionModels(plan)) for (const hash of Object.values(ref.files)) await this.o.blobs.publish(hash);
    const total = plan.grid.x.num * evaluationRows(plan);
    await this.o.redis.hset(this.o.keys.surface(plan.surfaceId), surfaceState.write({ status: 'queued', plan, total, done: 0 }));
    await this.queue.add('surface', { surfaceId: plan.surfaceId }, { jobId: jobIds.surface(plan.surfaceId), ...JOB_OPTIONS.surface });
  }

  /**
   * A finished surface from a file: an import (`tenant` the importer's) or one shipped with the
   * project (the demo comparison's, `tenant` null: public). Stored once; a fixture stored before
   * tenancy gets its owner set.
   */
  async importFinished(record: SurfaceRecord, result: SurfaceResult, tenant: Tenant): Promise<void> {
    const stored = this.records.get(record.id);
    if (stored && ownerOf(stored) === tenant) return;
    const owned = { ...(stored ?? record), tenant };
    if (!stored) await writeAtomic(this.resultPath(record.id), JSON.stringify(result));
    await writeAtomic(this.recordPath(record.id), JSON.stringify(owned));
    this.records.set(record.id, owned);
  }

  /** The surfaces the viewer may read, newest first, as stored (not brought up to date from Redis). */
  list(viewer: Principal): SurfaceRecord[] {
    return [...this.records.values()]
      .filter((record) => canRead(viewer, ownerOf(record)))
      .sort((a, b) => b.timings.createdAt.localeCompare(a.timings.createdAt));
  }

  /** Surfaces queued or running (their models and datasets are in use). */
  inFlight(): SurfaceRecord[] {
    return [...this.records.values()].filter((record) => !FINAL.has(record.status));
  }

  /** The record (404 when the viewer may not read it), brought up to date from Redis while the surface is in flight. */
  async get(id: string, viewer: Principal): Promise<SurfaceRecord> {
    const record = readable(viewer, this.records.get(id), 'surface', id);
    if (FINAL.has(record.status)) return record;
    return withLiveState(record, await this.liveState(id));
  }

  /**
   * Resolves with the record once the surface is completed, failed or cancelled and stored on
   * disk; rejects when its job ended but the end could not be recorded.
   */
  whenFinal(id: string): Promise<SurfaceRecord> {
    if (!this.records.has(id)) return Promise.reject(notFound('surface', id));
    return this.finals.wait(id, async () => {
      const record = this.records.get(id)!;
      if (FINAL.has(record.status)) return record;
      const unrecorded = this.unrecordedEnds.get(id);
      if (unrecorded) throw unrecorded;
      return null;
    });
  }

  /** Redis lost the surface's state (a restart without persistence): queue it again from the plan on disk. */
  private async requeue(id: string): Promise<void> {
    const plan = await readJsonOrNull<SurfacePlan>(this.planPath(id));
    if (plan) await this.enqueue(plan);
  }

  async result(id: string, viewer: Principal): Promise<SurfaceResult> {
    const record = await this.get(id, viewer);
    if (record.status !== 'completed') {
      throw new HttpError(409, 'SURFACE_NOT_READY', `surface ${id} is ${record.status}; its result exists once it is completed`);
    }
    // Completed in Redis a moment before its job's completion is seen and the result copied to disk.
    const live = this.records.get(id)!.status !== 'completed' ? await this.o.redis.get(this.o.keys.surfaceResult(id)) : null;
    const result = live ? storedValues.surfaceResult.read(live, this.o.keys.surfaceResult(id)) : await readJsonOrNull<SurfaceResult>(this.resultPath(id));
    if (!result) throw new HttpError(500, 'RESULT_MISSING', `the stored result of surface ${id} is missing`);
    return result;
  }

  async directions(id: string, viewer: Principal): Promise<{ bytes: Buffer; parameterCount: number; count: number }> {
    const record = await this.get(id, viewer);
    const hash = record.provenance.directions.hash;
    const bytes = hash ? ((await this.o.blobs.get(hash)) ?? (await this.o.redis.getBuffer(this.o.keys.blob(hash)))) : null;
    if (!bytes) throw new HttpError(409, 'DIRECTIONS_NOT_READY', `the directions of surface ${id} have not been generated yet`);
    const parameterCount = record.provenance.model.parameterCount;
    return { bytes, parameterCount, count: bytes.byteLength / 4 / parameterCount };
  }

  /** 404 when the viewer may not read the surface, 403 when it may read but not change it (a public demo). */
  assertWritable(id: string, viewer: Principal): void {
    writable(viewer, this.records.get(id), 'surface', id);
  }

  /** Cancel: the owner or an admin; a public demo is a 403. */
  async cancel(id: string, viewer: Principal): Promise<SurfaceRecord> {
    this.assertWritable(id, viewer);
    const record = await this.get(id, viewer);
    if (FINAL.has(record.status)) return record;
    await this.o.redis.hset(this.o.keys.surface(id), surfaceState.write({ cancelled: true, status: 'cancelled', finishedAt: new Date().toISOString() }));
    const { chunks } = await this.liveState(id);
    for (let index = 0; index < chunks; index++) {
      await this.chunkQueue.remove(jobIds.chunk(id, index)).catch(() => 0);
    }
    await this.queue.remove(jobIds.surface(id), { removeChildren: true }).catch(() => 0);
    await this.o.redis.xadd(this.o.keys.surfaceEvents(id), '*', ...eventFields({ event: 'cancelled', data: {} }));
    return this.finalize(id);
  }

  /** Copy a finished surface (result, directions, final state) from Redis to disk. Idempotent. */
  private async finalize(id: string): Promise<SurfaceRecord> {
    const record = this.records.get(id);
    if (!record) throw notFound('surface', id);
    if (FINAL.has(record.status)) return record;
    const state = await this.liveState(id);
    if (!state.status || !FINAL.has(state.status)) return withLiveState(record, state);
    const updated = withLiveState(record, state);
    if (updated.status === 'completed') {
      const raw = await this.o.redis.get(this.o.keys.surfaceResult(id));
      if (!raw) throw new HttpError(500, 'RESULT_MISSING', `surface ${id} completed but its result is not in Redis`);
      const result = storedValues.surfaceResult.read(raw, this.o.keys.surfaceResult(id));
      updated.provenance = result.provenance;
      await writeAtomic(this.resultPath(id), raw);
    }
    if (updated.provenance.directions.hash) await this.o.blobs.persistFromRedis(updated.provenance.directions.hash);
    await writeAtomic(this.recordPath(id), JSON.stringify(updated));
    this.records.set(id, updated);
    this.unrecordedEnds.delete(id);
    this.finals.resolve(id, updated);
    return updated;
  }

  private async liveState(id: string): Promise<SurfaceState> {
    const key = this.o.keys.surface(id);
    return surfaceState.read(await this.o.redis.hgetall(key), key);
  }

  /** The format of the surface's model; undefined when the surface or its model is unknown. */
  modelFormat(id: string): ModelFormatSpec | undefined {
    const record = this.records.get(id);
    const model = record && this.o.models.get(record.provenance.model.id);
    return model && modelFormat(model.format);
  }

  isFinal(status: string): boolean {
    return FINAL.has(status);
  }
}

/** request.progressive resolved against the sample count of each evaluated split; 400 naming the field it cannot take. */
function planProgressive(options: SurfaceRequest['progressive'], samples: number[]): NonNullable<SurfacePlan['progressive']> | null {
  const previewSamples = options?.previewSamples ?? null;
  if (options?.enabled === false) {
    if (previewSamples !== null) throw badRequest('UNSUPPORTED_OPTION', 'progressive.previewSamples is a first pass of progressive refinement: leave it out or leave progressive.enabled true', 'progressive.previewSamples');
    return null;
  }
  const fewest = Math.min(...samples);
  if (previewSamples !== null && previewSamples >= fewest) {
    throw badRequest('TOO_MANY_SAMPLES', `progressive.previewSamples is ${previewSamples}, but a preview takes fewer samples than the surface's ${fewest}`, 'progressive.previewSamples');
  }
  return { previewSamples };
}

/** The models a surface's directions end at (interpolation, models). */
function directionModels(plan: SurfacePlan) {
  const source = plan.directionSource;
  if (source?.kind === 'interpolation') return [source.to];
  if (source?.kind === 'models') return [source.x, source.y];
  return [];
}

function withLiveState(record: SurfaceRecord, state: SurfaceState): SurfaceRecord {
  if (!state.status) return record;
  const { done, seconds, directions } = state;
  return {
    ...record,
    status: state.status,
    progress: { done, total: record.progress.total },
    provenance: {
      ...record.provenance,
      engine: state.engine ?? record.provenance.engine,
      dataset: { ...record.provenance.dataset, indicesHash: state.indicesHash ?? record.provenance.dataset.indicesHash },
      directions: directions
        ? { ...record.provenance.directions, hash: directions.hash, cosine: directions.cosine, rng: directions.rng }
        : record.provenance.directions,
    },
    timings: {
      ...record.timings,
      startedAt: state.startedAt ?? record.timings.startedAt,
      finishedAt: state.finishedAt ?? record.timings.finishedAt,
      secondsPerPoint: done > 0 && seconds > 0 ? seconds / done : record.timings.secondsPerPoint,
    },
    error: state.error ?? record.error,
  };
}

export function checkShapes(model: Pick<ModelRecord, 'id' | 'format' | 'inputShape'>, dataset: Pick<DatasetInfo, 'id' | 'inputShape'>): void {
  const fits = modelFormat(model.format).sampleLayout(model.inputShape, dataset.inputShape) !== null;
  if (model.inputShape.length > 0 && !fits) {
    throw badRequest(
      'SHAPE_MISMATCH',
      `model "${model.id}" takes inputs of shape [${model.inputShape}] but dataset "${dataset.id}" has samples of shape [${dataset.inputShape}]`,
      'dataset.id',
    );
  }
}

export function resolveLoss(requested: LossName | undefined, model: Pick<ModelRecord, 'loss'>, dataset: Pick<DatasetInfo, 'id' | 'task' | 'classes'>): LossName {
  const labelled = dataset.task !== 'regression';
  const perPixelDefault = dataset.classes === 2 ? 'binary_crossentropy' : 'sparse_categorical_crossentropy';
  const loss = requested ?? model.loss ?? (dataset.task === 'segmentation' ? perPixelDefault : labelled ? 'sparse_categorical_crossentropy' : 'mse');
  const classification = lossHasAccuracy(loss);
  if (classification !== labelled) {
    throw badRequest('LOSS_MISMATCH', `loss ${loss} does not fit the ${dataset.task} dataset "${dataset.id}"`, requested ? 'loss' : 'dataset.id');
  }
  return loss;
}
