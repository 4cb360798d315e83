import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { redisKeys } from '../contract/index.ts';
import { deleteNamespace } from '../test/helpers/stack.ts';
import { SurfaceStateStore } from './surface-state.ts';

const namespace = `test-state-${randomUUID().slice(0, 8)}`;
const keys = redisKeys(namespace);
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const state = new SurfaceStateStore(redis, keys);

afterAll(async () => {
  await deleteNamespace(namespace);
  redis.disconnect();
});

describe('SurfaceState status transitions (real Redis)', () => {
  it('never overwrites a cancel the API wrote while a worker was planning, assembling or failing', async () => {
    await redis.hset(keys.surface('s1'), { status: 'cancelled', cancelled: '1' });
    expect(await state.transition('s1', ['queued', 'running'], 'running', { chunks: 4 })).toBe(false);
    expect(await state.transition('s1', ['running'], 'completed', { finishedAt: 'x' })).toBe(false);
    await state.fail('s1', 'EVALUATION_FAILED', 'boom');
    expect(await redis.hgetall(keys.surface('s1'))).toEqual({ status: 'cancelled', cancelled: '1' });
    expect(await redis.xlen(keys.surfaceEvents('s1'))).toBe(0);
  });

  it('moves from an expected status, with its fields, and records a failure once', async () => {
    await redis.hset(keys.surface('s2'), { status: 'queued' });
    expect(await state.transition('s2', ['queued', 'running'], 'running', { chunks: 4, startedAt: 't0' })).toBe(true);
    expect(await redis.hgetall(keys.surface('s2'))).toEqual({ status: 'running', chunks: '4', startedAt: 't0' });
    await state.fail('s2', 'EVALUATION_FAILED', 'boom');
    await state.fail('s2', 'EVALUATION_FAILED', 'again');
    expect(await redis.hget(keys.surface('s2'), 'status')).toBe('failed');
    expect(JSON.parse((await redis.hget(keys.surface('s2'), 'error'))!)).toEqual({ code: 'EVALUATION_FAILED', message: 'boom' });
    expect(await redis.xlen(keys.surfaceEvents('s2'))).toBe(1);
  });
});
