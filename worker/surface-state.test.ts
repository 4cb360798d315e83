import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { ComparisonFixture } from '../contract/comparisons.ts';
import { chunkJob, redisKeys, storedValues, StoredValueError, surfaceState, type ChunkValues, type WorkerHeartbeat } from '../contract/index.ts';
import type { HessianPoint } from '../contract/metrics/hessian.ts';
import type { SpectrumResult } from '../contract/metrics/spectrum.ts';
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

describe('stored values: every JSON value the API and workers exchange through Redis (real Redis)', () => {
  const engine = { name: 'onnx' as const, backend: 'onnxruntime-cpu', version: '1.0.0', crossEntropy: 'logits' as const };
  const chunk: ChunkValues = { index: 2, iy: 1, ix: [3, 4], level: 0, loss: [0.5, null], accuracy: [1, 0], nonFinite: [{ ix: 4, value: 'NaN' }], seconds: 0.25, engine };
  const fixture = JSON.parse(readFileSync(new URL('../fixtures/comparisons/demo-dense-vs-plain/comparison.json', import.meta.url), 'utf8')) as ComparisonFixture;
  const point: HessianPoint = { ix: 0, iy: 2, x: -1, y: 1, lambdaMax: 3.5, lambdaMin: -0.25, ratio: -0.0714, absRatio: 0.0714, products: 40, converged: true };
  const spectrum: SpectrumResult = {
    surfaceId: 's', point: { ix: null, iy: null, x: 0, y: 0 },
    topEigenvalues: { eigenvalues: [2, 1], residuals: [1e-3, 1e-3], converged: true, products: 20, restarts: 0 },
    trace: { trace: 3, standardError: 0.1, products: 10 },
    density: { grid: [0, 1], density: [0.5, 0.5], sigma: 0.01, nodes: [[1, 2]], weights: [[0.5, 0.5]], products: 10 },
    settings: {
      samples: 64, parameters: 'weights', seed: 0, topK: 2, tolerance: 1e-3, maxSteps: 20, traceSamples: 10, densitySteps: 10, densityVectors: 1, bins: 2,
      differentiated: 100, products: 'exact', seeds: { topEigenvalues: 0, trace: 1, density: 2 },
    },
    engine, seconds: 1.5,
  };
  const heartbeat: WorkerHeartbeat = { id: 'host-1', pid: 1, host: 'host', engines: [engine], startedAt: '2026-12-06T00:00:00.000Z' };

  it('reads back what was written, through Redis', async () => {
    await state.recordChunk('v1', chunk, 8);
    expect(await state.chunkValues('v1')).toEqual([chunk]);
    const key = `${namespace}:values`;
    const { result, hessian } = fixture.surfaces[0]!;
    const values = {
      surfaceResult: [storedValues.surfaceResult, result],
      hessianMap: [storedValues.hessianMap, hessian],
      spectrum: [storedValues.spectrum, spectrum],
      comparison: [storedValues.comparison, fixture.comparison],
      workerHeartbeat: [storedValues.workerHeartbeat, heartbeat],
      jobProgress: [storedValues.jobProgress, { done: 3, total: 9 }],
    } as const;
    for (const [name, [codec, value]] of Object.entries(values)) {
      await redis.set(`${key}:${name}`, (codec.write as (v: unknown) => string)(value));
      expect(codec.read((await redis.get(`${key}:${name}`))!, `${key}:${name}`)).toEqual(value);
    }
    await redis.hset(`${key}:points`, '2,0', storedValues.hessianPoint.write(point));
    expect(storedValues.hessianPoint.readHash(await redis.hgetall(`${key}:points`), `${key}:points`)).toEqual(new Map([['2,0', point]]));
    expect(storedValues.spectrum.readOrNull(await redis.get(`${key}:missing`), `${key}:missing`)).toBeNull();
  });

  it('fills in the fields a comparison stored by an older version lacks', () => {
    const { hessian: _hessian, gradientFlow: _gradientFlow, ...oldMember } = fixture.comparison.members[0]!;
    const old = JSON.stringify({ ...fixture.comparison, members: [oldMember] });
    expect(storedValues.comparison.read(old, 'old').members[0]).toEqual({ ...oldMember, hessian: null, gradientFlow: [] });
  });

  it('reads chunk values and chunk jobs stored before progressive refinement (a run from ix0, no level) as columns at level 0', () => {
    const { ix: _ix, level: _level, ...run } = chunk;
    expect(storedValues.chunkValues.read(JSON.stringify({ ...run, ix0: 3 }), 'old')).toEqual(chunk);
    expect(chunkJob({ surfaceId: 's', index: 2, iy: 1, ix0: 3, ix1: 5 })).toEqual({ surfaceId: 's', index: 2, iy: 1, ix: [3, 4], level: 0, previewSamples: null });
  });

  it('fails naming the key, the field and what is wrong when a stored value is malformed', async () => {
    const key = keys.surfaceChunks('v2');
    await redis.hset(key, '0', storedValues.chunkValues.write(chunk), '1', '{"index": 1, "loss": [0.1', '2', JSON.stringify({ ...chunk, loss: 'high' }));
    const read = state.chunkValues('v2');
    await expect(read).rejects.toThrow(StoredValueError);
    await expect(read).rejects.toThrow(`${key} field 1: is not JSON`);
    await redis.hdel(key, '1');
    await expect(state.chunkValues('v2')).rejects.toThrow(`${key} field 2: is not chunk values: /loss must be array`);
    expect(() => storedValues.jobProgress.check({ done: 'x', total: 2 }, 'the progress of job j')).toThrow('the progress of job j: is not job progress: /done must be integer');
    expect(() => storedValues.workerHeartbeat.read('{"id": "w"}', keys.worker('w'))).toThrow(`${keys.worker('w')}: is not a worker heartbeat: / must have required properties`);
  });

  it('names the hash and field of a malformed field of a surface\'s state', async () => {
    await redis.hset(keys.surface('v3'), { status: 'queued', plan: '{"surfaceId":' });
    await expect(state.read('v3')).rejects.toThrow(`${keys.surface('v3')} field plan: is not JSON`);
    expect(surfaceState.read({ status: 'queued', done: '2' }, 'k')).toMatchObject({ status: 'queued', done: 2, plan: null });
  });
});
