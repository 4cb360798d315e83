import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { eventFields, JOB_OPTIONS, jobIds, modelRef, QUEUES, trainingState, type ModelRecord, type RedisKeys, type TrainingJobData, type TrainingPlan, type TrainingState } from '../../contract/index.ts';
import { checkArchitectureInput, checkArchitectureTask } from '../../contract/architectures.ts';
import { checkTrainingStart, resolveTrainingRequest, type TrainingRecord, type TrainingRequest } from '../../contract/training.ts';
import type { DatasetInfo } from '../../contract/datasets.ts';
import { badRequest, HttpError } from '../errors.ts';
import type { BlobStore } from '../stores/blobs.ts';
import type { DatasetStore } from '../stores/datasets.ts';
import type { ModelStore } from '../stores/models.ts';
import { readJsonDir, writeAtomic } from '../stores/files.ts';
import { canRead, LOCAL_TENANT, readable, SYSTEM_PRINCIPAL, writable, type Principal } from '../tenancy.ts';
import { modelFormat } from '../../contract/formats/index.ts';
import { checkShapes } from './surfaces.ts';
import { Waiters } from './waiters.ts';

export interface TrainingServiceOptions {
  /** Each run's state is copied here (<id>.json) at submission and when final. */
  dataDir: string;
  redis: Redis;
  keys: RedisKeys;
  blobs: BlobStore;
  models: ModelStore;
  datasets: DatasetStore;
}

const FINAL = new Set<string | null>(['completed', 'failed', 'cancelled']);

/**
 * Training runs from request to registered model. Live state is the Redis hash
 * redisKeys(ns).training(id) (the worker writes progress there); when the worker leaves a run
 * 'trained', the API registers the final files as a model (source 'training', the training
 * record in its metadata), persists the checkpoints to disk and publishes `done`. The state is
 * copied to disk at submission and when final, so a run outlives Redis: a finished one is served
 * again, one in flight is queued again (training is seeded: the same weights come out).
 */
export class TrainingService {
  readonly queue: Queue<TrainingJobData>;
  private events?: QueueEvents;
  private readonly settling = new Map<string, Promise<void>>();
  private readonly finals = new Waiters<TrainingRecord>();
  /** Runs whose job failed without the run's failure being recorded (e.g. its sandbox died), and why. */
  private readonly unrecordedEnds = new Map<string, Error>();

  constructor(private readonly s: TrainingServiceOptions) {
    this.queue = new Queue(QUEUES.trainings, { connection: s.redis, prefix: s.keys.bullPrefix });
  }

  private get dataDir(): string {
    return this.s.dataDir;
  }

  /** On disk as in Redis: { id, state: the hash's fields }. */
  private persist(id: string, state: TrainingState): Promise<void> {
    return writeAtomic(join(this.dataDir, `${id}.json`), JSON.stringify({ id, state: trainingState.write(state) }));
  }

  private async read(id: string): Promise<TrainingState> {
    const key = this.s.keys.training(id);
    return trainingState.read(await this.s.redis.hgetall(key), key);
  }

  private enqueue(id: string): Promise<unknown> {
    return this.queue.add('training', { trainingId: id }, { jobId: jobIds.training(id), ...JOB_OPTIONS.training });
  }

  /**
   * Listen for ended jobs; restore runs Redis lost from disk (finished ones as they were, the
   * rest queued again); then settle the runs that ended while the API was down.
   */
  async start(): Promise<void> {
    this.events = new QueueEvents(QUEUES.trainings, { connection: this.s.redis.duplicate({ maxRetriesPerRequest: null }), prefix: this.s.keys.bullPrefix });
    const trainingOf = (jobId: string) => jobId.replace(/^training-/, '');
    this.events.on('completed', ({ jobId }) => void this.settle(trainingOf(jobId)).catch((err: Error) => this.finals.reject(trainingOf(jobId), err)));
    this.events.on('failed', ({ jobId, failedReason }) => void this.jobFailed(trainingOf(jobId), failedReason));
    await this.events.waitUntilReady();
    for (const stored of await readJsonDir<{ id: string; state: Record<string, string> }>(this.dataDir)) {
      const { id } = stored;
      const state = trainingState.read(stored.state, join(this.dataDir, `${id}.json`));
      if (!state.plan || !state.createdAt || (await this.s.redis.exists(this.s.keys.training(id)))) continue;
      const modelId = modelIdOf(id);
      const registered = !FINAL.has(state.status) && this.s.models.get(modelId) !== undefined;
      const final = FINAL.has(state.status) || registered;
      const restored: Partial<TrainingState> = FINAL.has(state.status)
        ? state
        : registered
          ? { ...state, status: 'completed', modelId }
          : { status: 'queued', plan: state.plan, createdAt: state.createdAt, tenant: state.tenant };
      await this.s.redis.hset(this.s.keys.training(id), trainingState.write(restored));
      await this.s.redis.zadd(this.s.keys.trainings, Date.parse(state.createdAt), id);
      if (final) continue;
      await this.publishInputs(state.plan);
      await this.enqueue(id);
    }
    for (const id of await this.s.redis.zrange(this.s.keys.trainings, 0, -1)) await this.settle(id);
  }

  /** The blobs the worker reads (Redis may have lost them): the dataset's and the start model's files. */
  private async publishInputs(plan: TrainingPlan): Promise<void> {
    if (plan.dataset.hash) await this.s.blobs.publish(plan.dataset.hash);
    for (const hash of Object.values(plan.model?.files ?? {})) await this.s.blobs.publish(hash);
  }

  async close(): Promise<void> {
    await this.events?.close();
    await this.queue.close();
  }

  /**
   * Checks a request against the catalog and a dataset the viewer may read: 4xx naming the
   * field, by default as in a training request (a comparison names its own fields).
   */
  check(body: TrainingRequest, viewer: Principal, fields = { dataset: 'dataset.id', architecture: 'architecture' }): DatasetInfo {
    checkTrainingStart(body, fields.architecture);
    const dataset = this.s.datasets.readable(body.dataset.id, viewer, fields.dataset);
    if (dataset.task === 'regression') throw badRequest('NOT_CLASSIFICATION', `dataset "${dataset.id}" is a regression set; training fits classifiers and segmenters`, fields.dataset);
    if (body.architecture) checkArchitectureTask(body.architecture, dataset, fields.architecture);
    if (dataset.splits.train === 0) throw badRequest('EMPTY_SPLIT', `dataset "${dataset.id}" has no train samples`, fields.dataset);
    const samplesField = fields.dataset.replace(/id$/, 'samples');
    if ((body.dataset.samples ?? 0) > dataset.splits.train) {
      throw badRequest('TOO_MANY_SAMPLES', `dataset "${dataset.id}" has ${dataset.splits.train} train samples; ${body.dataset.samples} requested`, samplesField);
    }
    if (body.architecture) checkArchitectureInput(body.architecture, dataset.inputShape, fields.architecture);
    return dataset;
  }

  /** The stored model a request trains further: one the viewer may read, whose inputs the dataset's samples fit and whose format the engine trains. */
  private baseModel(body: TrainingRequest, dataset: DatasetInfo, viewer: Principal): ModelRecord {
    const model = this.s.models.readable(body.model!, viewer, 'model');
    checkShapes(model, dataset);
    const format = modelFormat(model.format);
    if (!format.capabilities.gradients) throw badRequest('NO_GRADIENTS', `model "${model.id}" is ${model.format}, which has no gradient engine to train it`, 'model');
    if (body.engine === 'tfjs' && !format.capabilities.engines.includes('tfjs')) {
      throw badRequest('ENGINE_UNSUPPORTED', `model "${model.id}" is ${model.format}; the tfjs engine trains tfjs Layers models only (use onnxruntime)`, 'engine');
    }
    return model;
  }

  /** Check the request (check), then queue it as the viewer's. */
  async submit(body: TrainingRequest, viewer: Principal): Promise<TrainingRecord> {
    const dataset = this.check(body, viewer);
    const base = body.model === undefined ? null : this.baseModel(body, dataset, viewer);
    const request = resolveTrainingRequest(body, base);
    const id = randomUUID();
    const createdAt = new Date().toISOString();
    const plan: TrainingPlan = { request, dataset: { id: dataset.id, hash: dataset.hash }, ...(base ? { model: modelRef(base) } : {}) };
    const state: Partial<TrainingState> = { status: 'queued', plan, createdAt, tenant: viewer.tenant };
    // A Redis outage here is a 503 REDIS_UNAVAILABLE from the app's error handler.
    await this.publishInputs(plan);
    await this.s.redis.hset(this.s.keys.training(id), trainingState.write(state));
    await this.s.redis.zadd(this.s.keys.trainings, Date.parse(createdAt), id);
    await writeAtomic(join(this.dataDir, `${id}.json`), JSON.stringify({ id, state: trainingState.write(state) }));
    await this.enqueue(id);
    return this.get(id, viewer);
  }

  /** The runs the viewer may read, newest first. */
  async list(viewer: Principal): Promise<TrainingRecord[]> {
    const ids = await this.s.redis.zrevrange(this.s.keys.trainings, 0, -1);
    const records = await Promise.all(ids.map((id) => this.get(id, SYSTEM_PRINCIPAL)));
    return records.filter((record) => canRead(viewer, record.tenant ?? null));
  }

  /** Runs queued or running (their datasets are in use). */
  async inFlight(): Promise<TrainingRecord[]> {
    return (await this.list(SYSTEM_PRINCIPAL)).filter((record) => !FINAL.has(record.status));
  }

  /** The run, or a 404 when it does not exist or the viewer may not read it. */
  async get(id: string, viewer: Principal): Promise<TrainingRecord> {
    const state = await this.read(id);
    return readable(viewer, state.plan ? toRecord(id, state) : undefined, 'training', id);
  }

  /**
   * Resolves with the record once the run is completed (its model registered), failed or
   * cancelled; rejects when its job failed but the run's failure was never recorded.
   */
  whenFinal(id: string): Promise<TrainingRecord> {
    return this.finals.wait(id, async () => {
      const record = await this.get(id, SYSTEM_PRINCIPAL);
      if (FINAL.has(record.status)) return record;
      const unrecorded = this.unrecordedEnds.get(id);
      if (unrecorded) throw unrecorded;
      return null;
    });
  }

  /**
   * The worker records a run's failure before its job fails; a job that failed otherwise (its
   * sandbox died more often than the stalled-job limit allows) leaves the run unfinished for good.
   */
  private async jobFailed(id: string, failedReason: string): Promise<void> {
    try {
      await this.settle(id);
      const state = await this.read(id);
      if (!state.plan || FINAL.has(state.status)) return;
      const job = await this.queue.getJob(jobIds.training(id));
      if (job && !(await job.isFailed())) return;
      throw new HttpError(500, 'TRAINING_END_NOT_RECORDED', `the job of training ${id} failed (${failedReason}), but the run is still ${state.status ?? 'unknown'} in Redis`);
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      this.unrecordedEnds.set(id, error);
      this.finals.reject(id, error);
    }
  }

  /** Cancel: the owner or an admin. */
  async cancel(id: string, viewer: Principal): Promise<TrainingRecord> {
    const record = writable(viewer, await this.get(id, viewer), 'training', id);
    if (FINAL.has(record.status)) return record;
    await this.s.redis.hset(this.s.keys.training(id), trainingState.write({ cancelled: true }));
    const job = await this.queue.getJob(jobIds.training(id));
    // A queued job is removed here; a running one stops at its next batch.
    if (job && (await job.isWaiting()) && (await job.remove().then(() => true, () => false))) {
      await this.s.redis.hset(this.s.keys.training(id), trainingState.write({ status: 'cancelled', finishedAt: new Date().toISOString() }));
      await this.s.redis.xadd(this.s.keys.trainingEvents(id), '*', ...eventFields({ event: 'cancelled', data: {} }));
      await this.settle(id);
    }
    return this.get(id, viewer);
  }

  /** Resolves with the model id once the run is completed, else rejects naming the outcome. */
  async waitForModel(id: string): Promise<string> {
    const record = await this.whenFinal(id);
    if (record.status === 'completed' && record.modelId) return record.modelId;
    throw new Error(`training ${id} ${record.status}${record.error ? `: ${record.error.message}` : ''}`);
  }

  /**
   * After a run's job ended: register the model of a 'trained' run, copy a final state to disk
   * and wake whoever waits for it. Idempotent; one at a time per run.
   */
  private settle(id: string): Promise<void> {
    let running = this.settling.get(id);
    if (!running) {
      running = (async () => {
        await this.register(id);
        const state = await this.read(id);
        if (!state.plan || !FINAL.has(state.status)) return;
        await this.persist(id, state);
        this.finals.resolve(id, toRecord(id, state));
      })().finally(() => this.settling.delete(id));
      this.settling.set(id, running);
    }
    return running;
  }

  private async register(id: string): Promise<void> {
    const key = this.s.keys.training(id);
    const state = await this.read(id);
    if (state.status !== 'trained' || !state.outcome || !state.plan) return;
    const { outcome } = state;
    const { request } = state.plan;
    const files: Record<string, Uint8Array> = {};
    for (const [name, hash] of Object.entries(outcome.files)) {
      const bytes = await this.s.redis.getBuffer(this.s.keys.blob(hash));
      if (!bytes) throw new Error(`blob ${hash} of training ${id} is not in Redis`);
      files[name] = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    for (const checkpoint of outcome.checkpoints) await this.s.blobs.persistFromRedis(checkpoint.hash);
    const modelId = modelIdOf(id);
    const { architecture } = request;
    const base = state.plan.model;
    await this.s.models.register({
      tenant: state.tenant ?? LOCAL_TENANT,
      id: modelId,
      name: request.name,
      format: base?.format ?? 'tfjs-layers',
      source: 'training',
      description: architecture
        ? `${architecture.id} (width ${architecture.width}) trained ${request.epochs} epoch(s) on ${request.dataset.id}; training ${id}`
        : `model ${base!.id} ("${base!.name}") trained ${request.epochs} more epoch(s) on ${request.dataset.id}; training ${id}`,
      files,
      dataset: request.dataset.id,
      tags: ['training', architecture?.id ?? 'trained-further'],
      metadata: {
        training: id, architecture, startedFrom: request.model ?? null, recipe: request, backend: outcome.backend,
        history: outcome.history, checkpoints: outcome.checkpoints,
        final: { train: outcome.finalTrain, test: outcome.finalTest }, trainingSeconds: Math.round(outcome.seconds),
      },
    });
    await this.s.redis.hset(key, trainingState.write({ status: 'completed', modelId }));
    await this.s.redis.xadd(this.s.keys.trainingEvents(id), '*', ...eventFields({ event: 'done', data: { status: 'completed', modelId } }));
  }
}

const modelIdOf = (trainingId: string) => `trained-${trainingId}`;

/** The API's view of a run whose state has a plan. */
function toRecord(id: string, state: TrainingState): TrainingRecord {
  const { request } = state.plan!;
  const { outcome } = state;
  const self = `/api/v1/trainings/${id}`;
  return {
    id,
    // 'trained' is internal: the model is being registered.
    status: state.status === 'trained' ? 'running' : (state.status ?? 'queued'),
    request,
    progress: { epoch: state.epoch, epochs: request.epochs },
    history: state.history ?? [],
    checkpoints: state.checkpoints ?? [],
    modelId: state.modelId,
    backend: outcome?.backend ?? null,
    parameterCount: outcome?.parameterCount ?? null,
    createdAt: state.createdAt ?? '',
    startedAt: state.startedAt,
    finishedAt: state.finishedAt,
    error: state.error,
    links: { self, events: `${self}/events`, model: state.modelId ? `/api/v1/models/${state.modelId}` : null },
    tenant: state.tenant ?? LOCAL_TENANT,
  };
}

