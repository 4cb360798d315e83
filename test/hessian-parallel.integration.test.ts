import { execFileSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SurfaceRecord } from '../contract/index.ts';
import { hessianHelperJobId, hessianJobId, hessianKeys, resolveHessianRequest, type HessianMapRequest, type HessianMapResult } from '../contract/metrics/hessian.ts';
import { startStack, type Stack } from './helpers/stack.ts';
import { mlpFiles, uploadModel } from './helpers/models.ts';
import { until } from './helpers/until.ts';

/**
 * Real API, real Redis, two real worker processes (LA_HESSIAN_HELPERS defaults to 1 on two): one
 * Hessian map's points are computed by both workers, a helper SIGKILLed mid-map loses no point, the
 * maps equal bit for bit those one worker computes alone, and a map replaced mid-run stops.
 */
let stack: Stack;
let redis: Redis;
let surfaceId: string;
const SAMPLES = 500;
// A tight tolerance makes each point of the 4,352 weights take about a second, long enough for the second worker to join.
const REQUEST: HessianMapRequest = { points: 3, maxSteps: 200, tolerance: 1e-9, samples: SAMPLES };

interface HessianPending {
  status: 'queued' | 'running' | 'failed';
  progress: { done: number; total: number };
  error: string | null;
}

async function requestHessian(request: HessianMapRequest): Promise<void> {
  const response = await stack.api(`/api/v1/surfaces/${surfaceId}/hessian`, { method: 'POST', json: request });
  expect(response.status).toBe(202);
}

async function finishedHessian(): Promise<HessianMapResult> {
  let last: HessianPending | null = null;
  return until(() => `the Hessian map (${last?.status}, ${last?.progress.done}/${last?.progress.total})`, async () => {
    const { status, body } = await stack.api<HessianMapResult | HessianPending>(`/api/v1/surfaces/${surfaceId}/hessian`);
    if (status === 200) return body as HessianMapResult;
    expect(status).toBe(202);
    last = body as HessianPending;
    expect(last.status, last.error ?? '').not.toBe('failed');
    return null;
  }, { intervalMs: 50 });
}

/** The map without what may differ between runs: its wall time and how many workers computed it. */
function computed(map: HessianMapResult): string {
  const { seconds: _seconds, settings, ...rest } = map;
  const { workers: _workers, ...same } = settings as HessianMapResult['settings'] & { workers?: number };
  return JSON.stringify({ ...rest, settings: same });
}

/** The points held (claimed, not finished) in a run's claims hash, by worker. */
async function heldPoints(request: HessianMapRequest): Promise<{ point: string; worker: string }[]> {
  const claims = await redis.hgetall(hessianKeys(stack.namespace).claims(surfaceId, hessianJobId(surfaceId, resolveHessianRequest(request, SAMPLES))));
  return Object.entries(claims).flatMap(([point, claim]) => {
    const held = /^\d+ (.+)$/.exec(claim);
    return held ? [{ point, worker: held[1]! }] : [];
  });
}

beforeAll(async () => {
  stack = await startStack({ workers: 2, lockMs: 2000, fixtures: null });
  redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const model = await uploadModel(stack.baseUrl, 'moons mlp', await mlpFiles([64, 64]));
  const response = await stack.api<{ id: string }>('/api/v1/surfaces', {
    method: 'POST',
    json: { model: model.body.id, dataset: { id: 'moons', samples: SAMPLES }, grid: { x: { min: -1, max: 1, num: 5 }, y: { min: -1, max: 1, num: 5 } } },
  });
  surfaceId = response.body.id;
  await until(`surface ${surfaceId} to complete`, async () => {
    const record = (await stack.api<SurfaceRecord>(`/api/v1/surfaces/${surfaceId}`)).body;
    expect(record.status).not.toBe('failed');
    return record.status === 'completed';
  }, { intervalMs: 100 });
  // A worker's first analysis job starts its sandbox (seconds of imports): a small map and its
  // helper warm both, so that the maps below measure sharing, not start-up.
  const warmUp = { points: 2, maxSteps: 2, samples: SAMPLES };
  await requestHessian(warmUp);
  await finishedHessian();
  const helperId = hessianHelperJobId(hessianJobId(surfaceId, resolveHessianRequest(warmUp, SAMPLES)), 1);
  await until('the warm-up helper to end', async () => (await stack.app.services.hessians.queue.getJob(helperId)) === undefined, { intervalMs: 100 });
}, 180_000);

afterAll(async () => {
  redis?.disconnect();
  await stack?.stop();
});

describe('a Hessian map on two workers', () => {
  let onTwo: HessianMapResult;

  it('is computed by both workers', async () => {
    await requestHessian(REQUEST);
    onTwo = await finishedHessian();
    expect(onTwo.shape).toEqual([3, 3]);
    expect(onTwo.points.every((p) => p.lambdaMax !== null && p.lambdaMin !== null)).toBe(true);
    expect(onTwo.settings).toMatchObject({ workers: 2, threads: 1 });
  }, 180_000);

  it('loses no point when a helper is SIGKILLed mid-map: its claim expires and the map\'s job computes the point', async () => {
    const request = { ...REQUEST, seed: 1 };
    await requestHessian(request);
    // The map's job claims the first point before it queues its helper: whoever holds 0,0 first is the job.
    let owner: string | undefined;
    const helper = await until('the helper to hold a point', async () => {
      const held = await heldPoints(request);
      owner ??= held.find((h) => h.point === '0,0')?.worker;
      return owner ? held.find((h) => h.worker !== owner) : undefined;
    }, { timeoutMs: 60_000, intervalMs: 20 });
    // Worker names are host-pid of the sandbox, whose process group is its worker's.
    const sandboxPid = Number(helper.worker.slice(helper.worker.lastIndexOf('-') + 1));
    const group = Number(execFileSync('ps', ['-o', 'pgid=', '-p', String(sandboxPid)], { encoding: 'utf8' }).trim());
    const victim = stack.workers.find((w) => w.pid === group)!;
    expect(victim).toBeDefined();
    stack.killWorker(victim, 'SIGKILL');

    const interrupted = await finishedHessian();
    expect(interrupted.points).toHaveLength(9);
    expect(interrupted.points.every((p) => p.lambdaMax !== null && p.lambdaMin !== null)).toBe(true);

    // The same settings again, on the surviving worker alone, once the first job has ended (a
    // request while it completes would join it and get the interrupted map back).
    const jobId = hessianJobId(surfaceId, resolveHessianRequest(request, SAMPLES));
    await until('the interrupted map\'s job to end', async () => (await stack.app.services.hessians.queue.getJob(jobId)) === undefined, { intervalMs: 50 });
    await requestHessian(request);
    const alone = await finishedHessian();
    expect(alone.settings).toMatchObject({ workers: 1 });
    expect(computed(interrupted)).toBe(computed(alone));
  }, 180_000);

  it('equals bit for bit the map one worker computes alone', async () => {
    await requestHessian(REQUEST);
    const onOne = await finishedHessian();
    expect(onOne.settings).toMatchObject({ workers: 1 });
    expect(computed(onTwo)).toBe(computed(onOne));
  }, 180_000);

  it('stops a map whose settings are replaced mid-run: its job fails as superseded, frees the worker, and never replaces the newer map', async () => {
    const replaced = { ...REQUEST, seed: 2 };
    const replacedJob = hessianJobId(surfaceId, resolveHessianRequest(replaced, SAMPLES));
    await requestHessian(replaced);
    await until('the first point of the replaced map', async () => {
      const { status, body } = await stack.api<HessianPending>(`/api/v1/surfaces/${surfaceId}/hessian`);
      expect(status, 'the map to replace is still running').toBe(202);
      return body.progress.done >= 1;
    }, { intervalMs: 20 });
    const newer = { ...REQUEST, seed: 3 };
    await requestHessian(newer);
    // The state before the job's hash, as the services read them: a hash read first could be
    // from just before the failure, without its reason, and the state after it 'failed'.
    const queue = stack.app.services.hessians.queue;
    const failed = await until('the replaced map\'s job to fail', async () => ((await queue.getJobState(replacedJob)) === 'failed' ? queue.getJob(replacedJob) : undefined), { timeoutMs: 60_000, intervalMs: 50 });
    expect(failed.failedReason).toBe(`Hessian map job ${replacedJob} was superseded by a request for other settings (job ${hessianJobId(surfaceId, resolveHessianRequest(newer, SAMPLES))})`);
    // Not retried: a superseded map does not get its settings back by trying again.
    expect(failed.attemptsMade).toBe(1);
    const map = await finishedHessian();
    expect(map.settings.seed).toBe(3);
    expect(map.points.every((p) => p.lambdaMax !== null)).toBe(true);
  }, 180_000);
});
