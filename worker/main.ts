import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { chunkJob, HEARTBEAT_TTL_MS, QUEUES, redisKeys, storedValues, type ChunkJobData, type SurfaceJobData, type TrainingJobData, type EngineInfo, type WorkerHeartbeat } from '../contract/index.ts';
import { redactUrl, workerConfig } from './config.ts';
import { engineFactories } from './engine/registry.ts';
import { workerLog } from './log.ts';
import { surfaceProcessor } from './jobs/surface.ts';
import { chunkTimeLimitMs, enforceTimeLimits } from './jobs/time-limit.ts';
import { SurfaceStateStore } from './surface-state.ts';

/**
 * One worker process: plans and assembles surfaces in-process (light work) and evaluates chunks
 * in a sandboxed child process, one chunk at a time (one process per core is the default).
 */
const config = workerConfig();
const log = workerLog(config);
const keys = redisKeys(config.LA_NAMESPACE);
const connection = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
const prefix = keys.bullPrefix;
const state = new SurfaceStateStore(connection, keys);
const chunkQueue = new Queue<ChunkJobData>(QUEUES.chunks, { connection, prefix });

const surfaces = new Worker<SurfaceJobData>(QUEUES.surfaces, surfaceProcessor({ redis: connection, keys, chunkQueue }), { connection, prefix, concurrency: 8 });
/** CPU-bound jobs run one at a time in a sandboxed child process of this worker. */
function sandboxed<Data>(queue: string, processor: string, maxStalledCount = 1): Worker<Data> {
  return new Worker<Data>(queue, fileURLToPath(new URL(processor, import.meta.url)), {
    connection,
    prefix,
    concurrency: 1,
    useWorkerThreads: false,
    lockDuration: config.LA_LOCK_MS,
    stalledInterval: config.LA_STALLED_MS,
    maxStalledCount,
  });
}
// Chunks are short and idempotent, a Hessian map resumes from its last finished point and gradient
// flow is short, so both queues may outlive several worker deaths; a training that stalls twice
// fails instead of starting its long work over and over.
const chunks = sandboxed<ChunkJobData>(QUEUES.chunks, './jobs/chunk.ts', 5);
const analysis = sandboxed(QUEUES.analysis, './jobs/hessian.ts', 5);
const trainings = sandboxed<TrainingJobData>(QUEUES.trainings, './jobs/training.ts');

/** A chunk past its time limit fails its surface with TIME_LIMIT (before the killed sandbox's exit is reported). */
enforceTimeLimits(
  chunks,
  async (job) => {
    const plan = state.plan(await state.read(job.data.surfaceId));
    return chunkTimeLimitMs(config, { parameters: plan.provenance.model.parameterCount, samples: plan.dataset.samples, points: chunkJob(job.data).ix.length });
  },
  async (job, limitMs) => {
    log.warn({ jobId: job.id, limitMs }, 'chunk exceeded its time limit; killing its sandbox');
    await state.fail(
      job.data.surfaceId,
      'TIME_LIMIT',
      `chunk ${job.data.index} ran longer than its limit of ${limitMs / 1000} s (LA_CHUNK_TIME_FLOOR_MS, LA_CHUNK_TIME_PER_WORK_NS): its sandbox was killed`,
    );
  },
  (err, job) => log.error({ err, jobId: job.id }, 'chunk time limit failed'),
);

/** A job that failed for good ends its surface with a failed event; a retried one does not. */
async function onFailed(job: Job<SurfaceJobData | ChunkJobData> | undefined, err: Error): Promise<void> {
  if (!job || !(await job.isFailed())) return;
  await state.fail(job.data.surfaceId, err.name === 'UnrecoverableError' ? 'INVALID_INPUT' : 'EVALUATION_FAILED', err.message);
}
for (const worker of [surfaces, chunks]) {
  worker.on('failed', (job, err) => void onFailed(job, err).catch((e: unknown) => log.error({ err: e, jobId: job?.id }, 'failed to record a failure')));
}
for (const worker of [surfaces, chunks, analysis, trainings]) worker.on('error', (err) => log.error({ err, queue: worker.name }, 'worker error'));

const id = `${hostname()}-${process.pid}`;
/** Each built-in engine started once, so /health reports the backend it really runs on. */
async function probeEngines(): Promise<EngineInfo[]> {
  const infos: EngineInfo[] = [];
  for (const factory of Object.values(engineFactories({ ...config, onWarning: (message) => log.warn(message) }))) {
    if (!factory) continue;
    const evaluator = await factory();
    infos.push(evaluator.info);
    evaluator.dispose();
  }
  return infos;
}
const engines = await probeEngines();
const heartbeat: WorkerHeartbeat = { id, pid: process.pid, host: hostname(), engines, startedAt: new Date().toISOString() };
const beat = () =>
  connection
    .multi()
    .set(keys.worker(id), storedValues.workerHeartbeat.write(heartbeat), 'PX', HEARTBEAT_TTL_MS)
    .zadd(keys.workers, Date.now() + HEARTBEAT_TTL_MS, id)
    .exec()
    .catch(() => undefined);
await beat();
const beating = setInterval(beat, HEARTBEAT_TTL_MS / 3);
log.info({ redis: redactUrl(config.REDIS_URL), namespace: config.LA_NAMESPACE, engines: engines.map((e) => `${e.name}/${e.backend}`) }, 'worker ready');

let closing = false;
async function shutdown(signal: string) {
  if (closing) return;
  closing = true;
  log.info({ signal }, 'finishing the current chunk, then exiting');
  clearInterval(beating);
  await Promise.all([surfaces.close(), chunks.close(), analysis.close(), trainings.close()]);
  await connection.multi().del(keys.worker(id)).zrem(keys.workers, id).exec().catch(() => undefined);
  await chunkQueue.close();
  connection.disconnect();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
