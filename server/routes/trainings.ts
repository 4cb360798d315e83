import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Queue, QueueEvents } from 'bullmq';
import { Type } from 'typebox';
import { jobIds, QUEUES, type TrainingJobData, type TrainingState } from '../../contract/index.ts';
import { ARCHITECTURES, ArchitectureInfo, checkArchitectureInput, checkArchitectureTask } from '../../contract/architectures.ts';
import {
  resolveTrainingRequest,
  TrainingRecord,
  TrainingRequest,
  type CheckpointInfo,
  type EpochMetrics,
  type ResolvedTrainingRequest,
  type TrainingOutcome,
} from '../../contract/training.ts';
import type { AppServices } from '../app.ts';
import { badRequest, HttpError, notFound } from '../errors.ts';
import { relayEvents } from '../sse.ts';
import { readJsonDir, writeAtomic } from '../stores/files.ts';
import { errorResponses, IdParams } from './schemas.ts';

const FINAL = new Set(['completed', 'failed', 'cancelled']);

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
  private readonly finalizing = new Map<string, Promise<void>>();
  private readonly persistedFinal = new Set<string>();

  constructor(private readonly s: AppServices) {
    this.queue = new Queue(QUEUES.trainings, { connection: s.redis, prefix: s.keys.bullPrefix });
  }

  private get dataDir(): string {
    return join(resolve(this.s.config.DATA_DIR), 'trainings');
  }

  private persist(id: string, state: TrainingState): Promise<void> {
    return writeAtomic(join(this.dataDir, `${id}.json`), JSON.stringify({ id, state }));
  }

  private enqueue(id: string): Promise<unknown> {
    return this.queue.add('training', { trainingId: id }, { jobId: jobIds.training(id), attempts: 1, removeOnComplete: { age: 86400 }, removeOnFail: { age: 7 * 86400 } });
  }

  async start(): Promise<void> {
    for (const { id, state } of await readJsonDir<{ id: string; state: TrainingState }>(this.dataDir)) {
      if (await this.s.redis.exists(this.s.keys.training(id))) continue;
      const modelId = modelIdOf(id);
      const registered = !FINAL.has(state.status) && this.s.models.get(modelId) !== undefined;
      const final = FINAL.has(state.status) || registered;
      const restored: TrainingState = FINAL.has(state.status)
        ? state
        : registered
          ? { ...state, status: 'completed', modelId }
          : { status: 'queued', plan: state.plan, createdAt: state.createdAt };
      await this.s.redis.hset(this.s.keys.training(id), restored as unknown as Record<string, string>);
      await this.s.redis.zadd(this.s.keys.trainings, Date.parse(state.createdAt), id);
      if (final) continue;
      const { dataset } = JSON.parse(state.plan) as { dataset: { hash: string | null } };
      if (dataset.hash) await this.s.blobs.publish(dataset.hash);
      await this.enqueue(id);
    }
    this.events = new QueueEvents(QUEUES.trainings, { connection: this.s.redis.duplicate({ maxRetriesPerRequest: null }), prefix: this.s.keys.bullPrefix });
    // get() registers a trained model and keeps the final state on disk.
    const settle = ({ jobId }: { jobId: string }) => void this.get(jobId.replace(/^training-/, '')).catch(() => undefined);
    this.events.on('completed', settle);
    this.events.on('failed', settle);
  }

  async close(): Promise<void> {
    await this.events?.close();
    await this.queue.close();
  }

  /** Check the request against the catalog and the dataset (4xx naming the field), then queue it. */
  async submit(body: TrainingRequest): Promise<TrainingRecord> {
    const dataset = this.s.datasets.get(body.dataset.id);
    if (!dataset) throw notFound('dataset', body.dataset.id, 'dataset.id');
    if (dataset.task === 'regression') throw badRequest('NOT_CLASSIFICATION', `dataset "${dataset.id}" is a regression set; zoo models are classifiers and segmenters`, 'dataset.id');
    checkArchitectureTask(body.architecture, dataset);
    if (dataset.splits.train === 0) throw badRequest('EMPTY_SPLIT', `dataset "${dataset.id}" has no train samples`, 'dataset.id');
    checkArchitectureInput(body.architecture, dataset.inputShape);
    const request = resolveTrainingRequest(body);
    const id = randomUUID();
    const createdAt = new Date().toISOString();
    const state: TrainingState = { status: 'queued', plan: JSON.stringify({ request, dataset: { id: dataset.id, hash: dataset.hash } }), createdAt };
    try {
      if (dataset.hash) await this.s.blobs.publish(dataset.hash);
      await this.s.redis.hset(this.s.keys.training(id), state as unknown as Record<string, string>);
      await this.s.redis.zadd(this.s.keys.trainings, Date.parse(createdAt), id);
      await this.persist(id, state);
      await this.enqueue(id);
    } catch (err) {
      throw new HttpError(503, 'QUEUE_UNAVAILABLE', `the job queue is unavailable: ${(err as Error).message}`);
    }
    return this.get(id);
  }

  async list(): Promise<TrainingRecord[]> {
    const ids = await this.s.redis.zrevrange(this.s.keys.trainings, 0, -1);
    return Promise.all(ids.map((id) => this.get(id)));
  }

  /** The record, registering the model first if the worker has just finished. */
  async get(id: string): Promise<TrainingRecord> {
    let state = (await this.s.redis.hgetall(this.s.keys.training(id))) as unknown as TrainingState;
    if (!state.plan) throw notFound('training', id);
    if (state.status === 'trained') {
      await this.finalize(id);
      state = (await this.s.redis.hgetall(this.s.keys.training(id))) as unknown as TrainingState;
    }
    if (FINAL.has(state.status) && !this.persistedFinal.has(id)) {
      await this.persist(id, state);
      this.persistedFinal.add(id);
    }
    return toRecord(id, state);
  }

  async cancel(id: string): Promise<TrainingRecord> {
    const record = await this.get(id);
    if (FINAL.has(record.status)) return record;
    await this.s.redis.hset(this.s.keys.training(id), 'cancelled', '1');
    const job = await this.queue.getJob(jobIds.training(id));
    // A queued job is removed here; a running one stops at its next batch.
    if (job && (await job.isWaiting()) && (await job.remove().then(() => true, () => false))) {
      await this.s.redis.hset(this.s.keys.training(id), { status: 'cancelled', finishedAt: new Date().toISOString() });
      await this.s.redis.xadd(this.s.keys.trainingEvents(id), '*', 'event', 'cancelled', 'data', '{}');
    }
    return this.get(id);
  }

  /** Resolves once the run is final; its model id when completed, else an error naming the outcome. */
  async waitForModel(id: string, pollMs = 500): Promise<string> {
    for (;;) {
      const record = await this.get(id);
      if (record.status === 'completed' && record.modelId) return record.modelId;
      if (record.status === 'failed' || record.status === 'cancelled') {
        throw new Error(`training ${id} ${record.status}${record.error ? `: ${record.error.message}` : ''}`);
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  private finalize(id: string): Promise<void> {
    let running = this.finalizing.get(id);
    if (!running) {
      running = this.register(id).finally(() => this.finalizing.delete(id));
      this.finalizing.set(id, running);
    }
    return running;
  }

  private async register(id: string): Promise<void> {
    const key = this.s.keys.training(id);
    const state = (await this.s.redis.hgetall(key)) as unknown as TrainingState;
    if (state.status !== 'trained' || !state.outcome) return;
    const outcome = JSON.parse(state.outcome) as TrainingOutcome;
    const { request } = JSON.parse(state.plan) as { request: ResolvedTrainingRequest };
    const files: Record<string, Uint8Array> = {};
    for (const [name, hash] of Object.entries(outcome.files)) {
      const bytes = await this.s.redis.getBuffer(this.s.keys.blob(hash));
      if (!bytes) throw new Error(`blob ${hash} of training ${id} is not in Redis`);
      files[name] = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    for (const checkpoint of outcome.checkpoints) await this.s.blobs.persistFromRedis(checkpoint.hash);
    const modelId = modelIdOf(id);
    await this.s.models.register({
      id: modelId,
      name: request.name,
      format: 'tfjs-layers',
      source: 'training',
      description: `${request.architecture.id} (width ${request.architecture.width}) trained ${request.epochs} epoch(s) on ${request.dataset.id}; training ${id}`,
      files,
      dataset: request.dataset.id,
      tags: ['training', request.architecture.id],
      metadata: {
        training: id, architecture: request.architecture, recipe: request, backend: outcome.backend,
        history: outcome.history, checkpoints: outcome.checkpoints,
        final: { train: outcome.finalTrain, test: outcome.finalTest }, trainingSeconds: Math.round(outcome.seconds),
      },
    });
    await this.s.redis.hset(key, { status: 'completed', modelId });
    await this.s.redis.xadd(this.s.keys.trainingEvents(id), '*', 'event', 'done', 'data', JSON.stringify({ status: 'completed', modelId }));
  }
}

const modelIdOf = (trainingId: string) => `trained-${trainingId}`;

function parse<T>(raw: string | undefined, fallback: T): T {
  return raw ? (JSON.parse(raw) as T) : fallback;
}

function toRecord(id: string, state: TrainingState): TrainingRecord {
  const { request } = JSON.parse(state.plan) as { request: ResolvedTrainingRequest };
  const outcome = parse<TrainingOutcome | null>(state.outcome, null);
  const self = `/api/v1/trainings/${id}`;
  return {
    id,
    // 'trained' is internal: the model is being registered.
    status: state.status === 'trained' ? 'running' : state.status,
    request,
    progress: { epoch: Number(state.epoch ?? 0), epochs: request.epochs },
    history: parse<EpochMetrics[]>(state.history, []),
    checkpoints: parse<CheckpointInfo[]>(state.checkpoints, []),
    modelId: state.modelId ?? null,
    backend: outcome?.backend ?? null,
    parameterCount: outcome?.parameterCount ?? null,
    createdAt: state.createdAt,
    startedAt: state.startedAt ?? null,
    finishedAt: state.finishedAt ?? null,
    error: parse<{ code: string; message: string } | null>(state.error, null),
    links: { self, events: `${self}/events`, model: state.modelId ? `/api/v1/models/${state.modelId}` : null },
  };
}

const services = new WeakMap<AppServices, TrainingService>();

/** The app's one TrainingService (created and started on first use, closed with the app). */
export async function trainingService(app: FastifyInstance): Promise<TrainingService> {
  let service = services.get(app.services);
  if (!service) {
    service = new TrainingService(app.services);
    services.set(app.services, service);
    await service.start();
    const started = service;
    app.addHook('onClose', async () => started.close());
  }
  return service;
}

export default async function trainingRoutes(app: FastifyInstance) {
  const trainings = await trainingService(app);

  app.get(
    '/architectures',
    {
      schema: {
        tags: ['trainings'],
        summary: 'The architecture zoo: ids to train, with family, depth, skip kind and parameter counts',
        response: { 200: Type.Object({ items: Type.Array(ArchitectureInfo) }) },
      },
    },
    async () => ({ items: ARCHITECTURES }),
  );

  app.post(
    '/trainings',
    {
      schema: {
        tags: ['trainings'],
        summary: 'Train a zoo architecture on a dataset; the final weights become a model',
        description:
          'Trains on the dataset’s train split with categorical cross-entropy: SGD with Nesterov momentum (default) or Adam, a constant/step/cosine ' +
          'learning-rate schedule, coupled L2 weight decay, seeded initialization and shuffling (same request + same backend → same weights). ' +
          'Checkpoints (θ flat in parameter-model order, float32) are kept every checkpointEvery epochs. Follow links.events (SSE); ' +
          'when done, links.model is the registered model.',
        body: TrainingRequest,
        response: { 202: TrainingRecord, ...errorResponses },
      },
    },
    async (request, reply) => {
      const record = await trainings.submit(request.body as TrainingRequest);
      return reply.status(202).header('location', record.links.self).send(record);
    },
  );

  app.get('/trainings', { schema: { tags: ['trainings'], summary: 'All training runs, newest first', response: { 200: Type.Object({ items: Type.Array(TrainingRecord) }) } } }, async () => ({
    items: await trainings.list(),
  }));

  app.get(
    '/trainings/:id',
    { schema: { tags: ['trainings'], summary: 'Status, per-epoch history, checkpoints and the model once done', params: IdParams, response: { 200: TrainingRecord, ...errorResponses } } },
    async (request) => trainings.get((request.params as { id: string }).id),
  );

  app.delete(
    '/trainings/:id',
    { schema: { tags: ['trainings'], summary: 'Cancel: a queued run is removed, a running one stops after its current batch', params: IdParams, response: { 200: TrainingRecord, ...errorResponses } } },
    async (request) => trainings.cancel((request.params as { id: string }).id),
  );

  app.get(
    '/trainings/:id/events',
    {
      schema: {
        tags: ['trainings'],
        summary: 'Server-sent events: started, epoch, checkpoint, trained, done / failed / cancelled',
        description:
          'Each event id is a Redis stream id; reconnect with Last-Event-ID (or ?lastEventId=) to resume. A new client gets the whole history first. ' +
          'Events: started {epochs}; epoch {epoch, learningRate, loss, accuracy, testLoss, testAccuracy, seconds}; checkpoint {epoch, hash, parameterCount}; ' +
          'trained {finalTrain, finalTest, seconds}; done {status, modelId}; failed {code, message}; cancelled {}.',
        params: IdParams,
        querystring: Type.Object({ lastEventId: Type.Optional(Type.String({ pattern: '^\\d+-\\d+$' })) }),
      },
    },
    async (request, reply) => streamEvents(app, trainings, request, reply),
  );
}

async function streamEvents(app: FastifyInstance, trainings: TrainingService, request: FastifyRequest, reply: FastifyReply) {
  const { redis, keys } = app.services;
  const { id } = request.params as { id: string };
  const record = await trainings.get(id);
  const ending = !FINAL.has(record.status)
    ? null
    : record.status === 'completed'
      ? { event: 'done', data: { status: 'completed', modelId: record.modelId } }
      : record.status === 'failed'
        ? { event: 'failed', data: record.error }
        : { event: 'cancelled', data: {} };
  await relayEvents(redis, request, reply, {
    streamKey: keys.trainingEvents(id),
    ending,
    // The worker may have finished while the API was not listening for it: registering the model ends the stream.
    onIdle: async () => {
      if ((await redis.hget(keys.training(id), 'status')) === 'trained') await trainings.get(id);
    },
  });
}
