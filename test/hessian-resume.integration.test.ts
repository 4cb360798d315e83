import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUES, type SurfaceRecord } from '../contract/index.ts';
import { hessianJobId, hessianKeys, resolveHessianRequest, type HessianMapRequest, type HessianMapResult, type HessianPoint } from '../contract/metrics/hessian.ts';
import { hessianPointKey } from '../worker/hessian/hessian-map.ts';
import { startStack, type Stack } from './helpers/stack.ts';
import { mlpFiles, uploadModel } from './helpers/models.ts';
import { until } from './helpers/until.ts';

/** Real API, real Redis, real worker processes: a Hessian map survives a SIGKILLed worker without redoing its finished points. */
let stack: Stack;
let redis: Redis;
let surfaceId: string;
const SAMPLES = 200;

interface HessianPending {
  status: 'queued' | 'running' | 'failed';
  progress: { done: number; total: number };
  error: string | null;
}

async function hessian(): Promise<{ status: number; body: HessianMapResult | HessianPending }> {
  const response = await fetch(`${stack.baseUrl}/api/v1/surfaces/${surfaceId}/hessian`);
  return { status: response.status, body: (await response.json()) as HessianMapResult | HessianPending };
}

async function requestHessian(request: HessianMapRequest): Promise<void> {
  const response = await fetch(`${stack.baseUrl}/api/v1/surfaces/${surfaceId}/hessian`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(request),
  });
  expect(response.status).toBe(202);
}

/** Polls until the map is done; `onProgress` sees every progress reported while it runs. */
async function finishedHessian(onProgress: (done: number) => void = () => undefined): Promise<HessianMapResult> {
  let last: HessianPending | null = null;
  return until(() => `the Hessian map (${last?.status}, ${last?.progress.done}/${last?.progress.total})`, async () => {
    const { status, body } = await hessian();
    if (status === 200) return body as HessianMapResult;
    expect(status).toBe(202);
    last = body as HessianPending;
    expect(last.status, last.error ?? '').not.toBe('failed');
    onProgress(last.progress.done);
    return null;
  }, { timeoutMs: 60_000, intervalMs: 50 });
}

beforeAll(async () => {
  stack = await startStack({ workers: 1, lockMs: 2000, fixtures: null });
  redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const model = await uploadModel(stack.baseUrl, 'moons mlp', await mlpFiles([8]));
  const response = await fetch(`${stack.baseUrl}/api/v1/surfaces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: model.body.id, dataset: { id: 'moons', samples: SAMPLES }, grid: { x: { min: -1, max: 1, num: 5 }, y: { min: -1, max: 1, num: 5 } } }),
  });
  surfaceId = ((await response.json()) as { id: string }).id;
  await until(`surface ${surfaceId} to complete`, async () => {
    const record = (await (await fetch(`${stack.baseUrl}/api/v1/surfaces/${surfaceId}`)).json()) as SurfaceRecord;
    expect(record.status).not.toBe('failed');
    return record.status === 'completed';
  }, { intervalMs: 100 });
});

afterAll(async () => {
  redis?.disconnect();
  await stack?.stop();
});

describe('a Hessian map whose worker is killed', () => {
  it('resumes from its finished points after a SIGKILL and equals an uninterrupted map', async () => {
    // A small tolerance keeps Lanczos at maxSteps, so each of the 9 points takes a good part of a second.
    const request: HessianMapRequest = { points: 3, maxSteps: 30, tolerance: 1e-6, samples: SAMPLES };
    const jobId = hessianJobId(surfaceId, resolveHessianRequest(request, SAMPLES));
    const finishedKey = hessianKeys(stack.namespace).points(surfaceId, jobId);
    await requestHessian(request);
    // Killed once a few points are finished, so that a rerun from the first point would show.
    const doneAtKill = await until('three finished points', async () => {
      const pending = (await hessian()).body as HessianPending;
      expect(pending.status, pending.error ?? '').not.toBe('failed');
      return pending.progress.done >= 3 && pending.progress.done;
    }, { intervalMs: 50 });
    stack.killWorker(stack.workers[0]!, 'SIGKILL');
    const survivors = new Map(Object.entries(await redis.hgetall(finishedKey)).map(([key, json]) => [key, JSON.parse(json) as HessianPoint]));
    expect(survivors.size).toBeGreaterThanOrEqual(doneAtKill);
    expect(survivors.size).toBeLessThan(9);

    await stack.addWorker();
    const progressAfterKill: number[] = [];
    const interrupted = await finishedHessian((done) => progressAfterKill.push(done));
    // A rerun from the first point would report progress below what was finished before the kill.
    expect(progressAfterKill.length).toBeGreaterThan(0);
    expect(Math.min(...progressAfterKill)).toBeGreaterThanOrEqual(doneAtKill);
    expect(await redis.exists(finishedKey)).toBe(0);
    for (const [key, survivor] of survivors) expect(interrupted.points.find((p) => hessianPointKey(p.iy, p.ix) === key)).toEqual(survivor);

    // The same settings again, on the replacement worker, without interruption. Asked before the
    // first job has completed (the map is served a moment earlier), they would join that job.
    const analysis = new Queue(QUEUES.analysis, { connection: redis, prefix: stack.app.services.keys.bullPrefix });
    try {
      await until('the first job to end', async () => (await analysis.getJob(jobId)) === undefined, { intervalMs: 50 });
    } finally {
      await analysis.close();
    }
    await requestHessian(request);
    const uninterrupted = await finishedHessian();
    expect(interrupted.shape).toEqual([3, 3]);
    expect(interrupted.points.every((p) => p.lambdaMax !== null && p.lambdaMin !== null)).toBe(true);
    expect(interrupted.points).toEqual(uninterrupted.points);
    expect(interrupted.summary).toEqual(uninterrupted.summary);
  }, 120_000);
});
