import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { hessianKeys, type HessianMapResult, type HessianPoint } from '../contract/metrics/hessian.ts';
import { deleteNamespace } from '../test/helpers/stack.ts';
import { HessianMapRun, SupersededRunError } from './hessian-map-state.ts';

const namespace = `test-hessian-run-${randomUUID().slice(0, 8)}`;
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const ORDER = ['0,0', '0,1', '1,0', '1,1'];

afterAll(async () => {
  await deleteNamespace(namespace);
  redis.disconnect();
});

function point(key: string, lambdaMax: number): HessianPoint {
  const [iy, ix] = key.split(',').map(Number) as [number, number];
  return { ix, iy, x: ix, y: iy, lambdaMax, lambdaMin: -1, ratio: -1 / lambdaMax, absRatio: 1 / lambdaMax, products: 7, converged: true };
}

describe('HessianMapRun: points claimed by a map job and its helpers (real Redis)', () => {
  it('hands each point to one worker, retakes a killed worker\'s expired claim, and lets helpers in only while the run is open', async () => {
    const run = (worker: string, leaseMs = 60_000) => new HessianMapRun(redis, namespace, 's1', 'job-1', worker, leaseMs);
    const owner = run('owner');
    const helper = run('helper');
    expect(await helper.claim(ORDER, false)).toEqual({ point: null, held: 0, closed: true });
    expect(await owner.claim(ORDER, true)).toEqual({ point: '0,0', held: 0, closed: false });
    expect(await helper.claim(ORDER, false)).toEqual({ point: '0,1', held: 1, closed: false });
    // A worker that claims again (its job retried in the same process) gets its own point back first.
    expect((await owner.claim(ORDER, true)).point).toBe('0,0');

    // A claim of 50 ms not renewed (its worker was killed) is taken over once it expires, and only then.
    const dying = run('dying', 50);
    expect((await dying.claim(ORDER, false)).point).toBe('1,0');
    const other = run('other');
    expect(await other.claim(ORDER, false)).toEqual({ point: '1,1', held: 3, closed: false });
    expect(await owner.claim(ORDER.slice(1, 3), true)).toEqual({ point: null, held: 2, closed: false });
    await sleep(120);
    expect(await dying.renew('1,0')).toBe(true);
    await sleep(120);
    expect(await owner.claim(ORDER.slice(2, 3), true)).toEqual({ point: '1,0', held: 0, closed: false });
    expect(await dying.renew('1,0')).toBe(false);

    // The first store of a point wins; stored points are never handed out again.
    expect(await owner.store(point('0,0', 2))).toBe(1);
    expect(await helper.store(point('0,1', 3))).toBe(2);
    expect(await dying.store(point('1,0', 4))).toBe(3);
    expect(await owner.store(point('1,0', 4))).toBe(3);
    expect(await owner.claim(ORDER, true)).toEqual({ point: null, held: 1, closed: false });
    expect(await other.store(point('1,1', 5))).toBe(4);
    expect(await owner.claim(ORDER, true)).toEqual({ point: null, held: 0, closed: false });
    expect([...(await owner.finished()).values()].map((p) => p.lambdaMax).sort()).toEqual([2, 3, 4, 5]);
    // The point the owner computed again after the expiry was stored by the dying worker first.
    expect(await owner.workers()).toBe(4);

    // Closing stores the map and ends the run: helpers find it closed, a late store is dropped.
    await owner.close({ surfaceId: 's1' } as HessianMapResult);
    expect(JSON.parse((await redis.get(hessianKeys(namespace).result('s1')))!)).toEqual({ surfaceId: 's1' });
    expect(await helper.claim(ORDER, false)).toEqual({ point: null, held: 0, closed: true });
    expect(await other.store(point('1,1', 5))).toBeNull();
    expect(await redis.exists(hessianKeys(namespace).points('s1', 'job-1'), hessianKeys(namespace).claims('s1', 'job-1'))).toBe(0);
  });

  it('stops a run once a request for other settings names another job: it claims, renews and stores its map no more, and resumes when its settings are asked for again', async () => {
    const keys = hessianKeys(namespace);
    const run = (worker: string) => new HessianMapRun(redis, namespace, 's2', 'job-a', worker, 60_000);
    await redis.set(keys.job('s2'), 'job-a');
    const owner = run('owner');
    const helper = run('helper');
    expect((await owner.claim(ORDER, true)).point).toBe('0,0');
    expect((await helper.claim(ORDER, false)).point).toBe('0,1');
    expect(await owner.store(point('0,0', 2))).toBe(1);

    // What HessianMapService.request does for other settings: the surface's job first, then the old map goes.
    await redis.set(keys.result('s2'), '{"newer":true}');
    await redis.set(keys.job('s2'), 'job-b');
    const superseded = new SupersededRunError('job-a', 'job-b');
    await expect(owner.claim(ORDER, true)).rejects.toThrow(superseded);
    await expect(helper.claim(ORDER, false)).rejects.toThrow(superseded);
    await expect(helper.renew('0,1')).rejects.toThrow(superseded);
    await expect(owner.close({ surfaceId: 's2' } as HessianMapResult)).rejects.toThrow(superseded);
    expect(await redis.get(keys.result('s2'))).toBe('{"newer":true}');
    // A point computed meanwhile is kept for a resumed run.
    expect(await helper.store(point('0,1', 3))).toBe(2);

    await redis.set(keys.job('s2'), 'job-a');
    expect(await owner.claim(ORDER, true)).toEqual({ point: '1,0', held: 0, closed: false });
    expect(await helper.renew('0,1')).toBe(false);
    await owner.close({ surfaceId: 's2' } as HessianMapResult);
    expect(JSON.parse((await redis.get(keys.result('s2')))!)).toEqual({ surfaceId: 's2' });
  });
});
