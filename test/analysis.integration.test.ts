import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SurfaceRecord } from '../contract/index.ts';
import { hessianKeys, type HessianMapResult } from '../contract/metrics/hessian.ts';
import type { SurfaceMetrics } from '../contract/metrics/surface-metrics.ts';
import { startStack, type Stack } from './helpers/stack.ts';
import { mlpFiles, uploadModel } from './helpers/models.ts';
import { until } from './helpers/until.ts';

let stack: Stack;
let surfaceId: string;

beforeAll(async () => {
  stack = await startStack({ workers: 1 });
  const model = await uploadModel(stack.baseUrl, 'moons mlp', await mlpFiles([8]));
  const response = await fetch(`${stack.baseUrl}/api/v1/surfaces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: model.body.id, dataset: { id: 'moons', samples: 200 }, grid: { x: { min: -1, max: 1, num: 5 }, y: { min: -1, max: 1, num: 5 } } }),
  });
  surfaceId = ((await response.json()) as { id: string }).id;
  await until(`surface ${surfaceId} to complete`, async () => ((await (await fetch(`${stack.baseUrl}/api/v1/surfaces/${surfaceId}`)).json()) as SurfaceRecord).status === 'completed', { intervalMs: 100 });
});
afterAll(async () => {
  await stack?.stop();
});

describe('analyses of a finished surface', () => {
  it('serves its metrics, consistent with the grid', async () => {
    const metrics = (await (await fetch(`${stack.baseUrl}/api/v1/surfaces/${surfaceId}/metrics`)).json()) as SurfaceMetrics;
    const result = (await (await fetch(`${stack.baseUrl}/api/v1/surfaces/${surfaceId}/result`)).json()) as { loss: number[][] };
    const flat = result.loss.flat();
    expect(metrics.points).toEqual({ total: 25, finite: 25, nonFinite: 0 });
    expect(metrics.minimum.loss).toBe(Math.min(...flat));
    expect(metrics.maximumLoss).toBe(Math.max(...flat));
    expect(metrics.center).toMatchObject({ ix: 2, iy: 2, exact: true, loss: result.loss[2]![2] });
    const share = flat.filter((v) => v <= result.loss[2]![2]! + 0.1).length / 25;
    expect(metrics.basin.find((b) => b.tau === 0.1)!.share).toBeCloseTo(share, 12);
  });

  it('computes a Hessian eigenvalue-ratio map over a sub-grid, with progress while it runs, once per settings, kept on disk', async () => {
    const request = () => fetch(`${stack.baseUrl}/api/v1/surfaces/${surfaceId}/hessian`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ points: 2, maxSteps: 6, samples: 100 }),
    });
    const queued = await request();
    expect(queued.status).toBe(202);
    expect(await queued.json()).toMatchObject({ status: 'queued', progress: { done: 0, total: 4 } });
    // The same settings again while they are queued or running: the same job, not a second one.
    expect((await request()).status).toBe(202);
    const { hessians } = stack.app.services;
    const jobs = await hessians.queue.getJobs(['waiting', 'active', 'delayed', 'prioritized', 'completed']);
    expect(jobs.filter((job) => job.data.surfaceId === surfaceId)).toHaveLength(1);
    const result = await until('the Hessian map', async () => {
      const response = await fetch(`${stack.baseUrl}/api/v1/surfaces/${surfaceId}/hessian`);
      if (response.status === 200) return (await response.json()) as HessianMapResult;
      expect(response.status).toBe(202);
      expect(((await response.json()) as { status: string }).status).not.toBe('failed');
      return null;
    });
    expect(result.shape).toEqual([2, 2]);
    // Finished maps outlive Redis: the copy on disk is served when the Redis one is gone.
    await stack.app.services.redis.del(hessianKeys(stack.namespace).result(surfaceId));
    const fromDisk = await fetch(`${stack.baseUrl}/api/v1/surfaces/${surfaceId}/hessian`);
    expect(fromDisk.status).toBe(200);
    expect(await fromDisk.json()).toEqual(result);
    for (const point of result!.points) {
      expect(point.lambdaMax).toBeGreaterThan(0);
      expect(point.absRatio).toBeGreaterThanOrEqual(0);
      expect(point.lambdaMin!).toBeLessThanOrEqual(point.lambdaMax!);
    }
  });

  it('refuses a Hessian map of an unfinished or unknown surface', async () => {
    const response = await fetch(`${stack.baseUrl}/api/v1/surfaces/nope/hessian`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(response.status).toBe(404);
  });
});
