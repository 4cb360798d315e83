import './sandbox.ts';
import { createHash } from 'node:crypto';
import { UnrecoverableError, type SandboxedJob } from 'bullmq';
import { Redis } from 'ioredis';
import { ContractError, eventFields, redisKeys, trainingState, type JobError, type TrainingEvent, type TrainingJobData } from '../../contract/index.ts';
import type { CheckpointInfo, EpochMetrics, TrainingOutcome } from '../../contract/training.ts';
import { Artifacts } from '../artifacts.ts';
import { workerConfig } from '../config.ts';
import { workerLog } from '../log.ts';
import { initTfjs } from '../engine/tfjs/backend.ts';
import { runTraining } from '../training/run.ts';
import { TrainingCancelled, TrainingDiverged } from '../training/loop.ts';

/**
 * Sandboxed processor (its own process: training is long and CPU-bound, and the parent keeps
 * renewing the job lock). Trains one TrainingRequest, publishes epoch/checkpoint events to
 * redisKeys(ns).trainingEvents(id), stores checkpoints and the final files as blobs, and leaves the
 * run in state 'trained' with its TrainingOutcome; the API then registers the model and sends `done`.
 */
const config = workerConfig();
const log = workerLog(config);
const keys = redisKeys(config.LA_NAMESPACE);
const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
const artifacts = new Artifacts(redis, keys);
process.on('disconnect', () => process.exit(0));

/** Cancellation is polled at most this often (a Redis round trip per batch would add up). */
const CANCEL_POLL_MS = 1000;

async function publish(id: string, event: TrainingEvent): Promise<void> {
  await redis.xadd(keys.trainingEvents(id), '*', ...eventFields(event));
}

async function putBlob(bytes: Uint8Array): Promise<string> {
  const hash = createHash('sha256').update(bytes).digest('hex');
  await redis.set(keys.blob(hash), Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return hash;
}

async function end(id: string, status: 'failed' | 'cancelled', error: JobError | null): Promise<void> {
  await redis.hset(keys.training(id), trainingState.write({ status, finishedAt: new Date().toISOString(), error }));
  await publish(id, status === 'failed' ? { event: 'failed', data: error } : { event: 'cancelled', data: {} });
}

export default async function processTraining(job: SandboxedJob<TrainingJobData>): Promise<TrainingOutcome | { cancelled: true }> {
  const id = job.data.trainingId;
  const stateKey = keys.training(id);
  const state = trainingState.read(await redis.hgetall(stateKey), stateKey);
  const { plan } = state;
  if (!plan) throw new UnrecoverableError(`training ${id} has no plan in Redis`);
  if (state.cancelled) {
    await end(id, 'cancelled', null);
    return { cancelled: true };
  }
  const history: EpochMetrics[] = [];
  const checkpoints: CheckpointInfo[] = [];
  let lastPoll = 0;
  let cancelled = false;
  try {
    await initTfjs({ backend: config.LA_TFJS_BACKEND, onWarning: (message) => log.warn(message) });
    const dataset = await artifacts.dataset({ id: plan.dataset.id, hash: plan.dataset.hash, split: 'train', samples: 1, sampleSeed: 0 });
    const base = plan.model ? await artifacts.model(plan.model) : null;
    await redis.hset(stateKey, trainingState.write({ status: 'running', startedAt: new Date().toISOString(), epoch: 0, history: [], checkpoints: [] }));
    await publish(id, { event: 'started', data: { epochs: plan.request.epochs } });
    const run = await runTraining(plan.request, dataset, {
      threads: config.LA_ONNX_THREADS,
      onEpoch: async (metrics) => {
        history.push(metrics);
        await redis.hset(stateKey, trainingState.write({ epoch: metrics.epoch, history }));
        await publish(id, { event: 'epoch', data: metrics });
        await job.updateProgress(Math.round((100 * metrics.epoch) / plan.request.epochs));
      },
      onCheckpoint: async (epoch, parameters) => {
        const hash = await putBlob(new Uint8Array(parameters.buffer, parameters.byteOffset, parameters.byteLength));
        const checkpoint = { epoch, hash, parameterCount: parameters.length };
        checkpoints.push(checkpoint);
        await redis.hset(stateKey, trainingState.write({ checkpoints }));
        await publish(id, { event: 'checkpoint', data: checkpoint });
      },
      isCancelled: async () => {
        if (Date.now() - lastPoll < CANCEL_POLL_MS) return cancelled;
        lastPoll = Date.now();
        cancelled = trainingState.read({ cancelled: (await redis.hget(stateKey, 'cancelled')) ?? '' }).cancelled;
        return cancelled;
      },
    }, base);
    const files: Record<string, string> = {};
    for (const [name, bytes] of Object.entries(run.files)) files[name] = await putBlob(bytes);
    const outcome: TrainingOutcome = {
      files, history, checkpoints, backend: run.backend, parameterCount: run.parameterCount,
      finalTrain: run.finalTrain, finalTest: run.finalTest, seconds: run.seconds,
    };
    await redis.hset(stateKey, trainingState.write({ status: 'trained', outcome, finishedAt: new Date().toISOString() }));
    await publish(id, { event: 'trained', data: { finalTrain: run.finalTrain, finalTest: run.finalTest, seconds: run.seconds } });
    return outcome;
  } catch (err) {
    if (err instanceof TrainingCancelled) {
      await end(id, 'cancelled', null);
      return { cancelled: true };
    }
    const code = err instanceof ContractError ? 'INVALID_INPUT' : err instanceof TrainingDiverged ? 'TRAINING_DIVERGED' : 'TRAINING_FAILED';
    await end(id, 'failed', { code, message: (err as Error).message });
    // Training is deterministic: a retry would fail the same way.
    throw new UnrecoverableError((err as Error).message);
  }
}
