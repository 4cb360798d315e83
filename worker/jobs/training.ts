import './sandbox.ts';
import { createHash } from 'node:crypto';
import { UnrecoverableError, type SandboxedJob } from 'bullmq';
import { Redis } from 'ioredis';
import { ContractError, redisKeys, type TrainingJobData } from '../../contract/index.ts';
import type { CheckpointInfo, EpochMetrics, ResolvedTrainingRequest, TrainingOutcome } from '../../contract/training.ts';
import { Artifacts } from '../artifacts.ts';
import { workerConfig } from '../config.ts';
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
const keys = redisKeys(config.namespace);
const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
const artifacts = new Artifacts(redis, keys);
process.on('disconnect', () => process.exit(0));

/** Cancellation is polled at most this often (a Redis round trip per batch would add up). */
const CANCEL_POLL_MS = 1000;

interface TrainingPlan {
  request: ResolvedTrainingRequest;
  dataset: { id: string; hash: string | null };
}

async function publish(id: string, event: string, data: unknown): Promise<void> {
  await redis.xadd(keys.trainingEvents(id), '*', 'event', event, 'data', JSON.stringify(data));
}

async function putBlob(bytes: Uint8Array): Promise<string> {
  const hash = createHash('sha256').update(bytes).digest('hex');
  await redis.set(keys.blob(hash), Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return hash;
}

async function end(id: string, status: 'failed' | 'cancelled', error: { code: string; message: string } | null): Promise<void> {
  await redis.hset(keys.training(id), { status, finishedAt: new Date().toISOString(), ...(error ? { error: JSON.stringify(error) } : {}) });
  await publish(id, status, error ?? {});
}

export default async function processTraining(job: SandboxedJob<TrainingJobData>): Promise<TrainingOutcome | { cancelled: true }> {
  const id = job.data.trainingId;
  const stateKey = keys.training(id);
  const state = await redis.hgetall(stateKey);
  if (!state.plan) throw new UnrecoverableError(`training ${id} has no plan in Redis`);
  if (state.cancelled === '1') {
    await end(id, 'cancelled', null);
    return { cancelled: true };
  }
  const plan = JSON.parse(state.plan) as TrainingPlan;
  const history: EpochMetrics[] = [];
  const checkpoints: CheckpointInfo[] = [];
  let lastPoll = 0;
  let cancelled = false;
  try {
    await initTfjs();
    const dataset = await artifacts.dataset({ id: plan.dataset.id, hash: plan.dataset.hash, split: 'train', samples: 1, sampleSeed: 0 });
    await redis.hset(stateKey, { status: 'running', startedAt: new Date().toISOString(), epoch: 0, history: '[]', checkpoints: '[]' });
    await publish(id, 'started', { epochs: plan.request.epochs });
    const run = await runTraining(plan.request, dataset, {
      onEpoch: async (metrics) => {
        history.push(metrics);
        await redis.hset(stateKey, { epoch: metrics.epoch, history: JSON.stringify(history) });
        await publish(id, 'epoch', metrics);
        await job.updateProgress(Math.round((100 * metrics.epoch) / plan.request.epochs));
      },
      onCheckpoint: async (epoch, parameters) => {
        const hash = await putBlob(new Uint8Array(parameters.buffer, parameters.byteOffset, parameters.byteLength));
        const checkpoint = { epoch, hash, parameterCount: parameters.length };
        checkpoints.push(checkpoint);
        await redis.hset(stateKey, { checkpoints: JSON.stringify(checkpoints) });
        await publish(id, 'checkpoint', checkpoint);
      },
      isCancelled: async () => {
        if (Date.now() - lastPoll < CANCEL_POLL_MS) return cancelled;
        lastPoll = Date.now();
        cancelled = (await redis.hget(stateKey, 'cancelled')) === '1';
        return cancelled;
      },
    });
    const files: Record<string, string> = {};
    for (const [name, bytes] of Object.entries(run.files)) files[name] = await putBlob(bytes);
    const outcome: TrainingOutcome = {
      files, history, checkpoints, backend: run.backend, parameterCount: run.parameterCount,
      finalTrain: run.finalTrain, finalTest: run.finalTest, seconds: run.seconds,
    };
    await redis.hset(stateKey, { status: 'trained', outcome: JSON.stringify(outcome), finishedAt: new Date().toISOString() });
    await publish(id, 'trained', { finalTrain: run.finalTrain, finalTest: run.finalTest, seconds: run.seconds });
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
