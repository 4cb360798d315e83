import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SurfaceRecord, SurfaceResult } from '../contract/index.ts';
import { readEvents } from './helpers/sse.ts';
import { startStack, type Stack } from './helpers/stack.ts';
import { mlpFiles, uploadModel } from './helpers/models.ts';
import { until } from './helpers/until.ts';

/** Real API, real Redis, real worker processes running tfjs: no mocks. */
let stack: Stack;
let modelId: string;

const api: Stack['api'] = (path, init) => stack.api(path, init);

async function waitFor(id: string, timeoutMs = 120_000): Promise<SurfaceRecord> {
  let last: SurfaceRecord | null = null;
  return until(() => `surface ${id} to end (${last?.status}, ${last?.progress.done}/${last?.progress.total})`, async () => {
    last = (await api<SurfaceRecord>(`/api/v1/surfaces/${id}`)).body;
    return ['completed', 'failed', 'cancelled'].includes(last.status) && last;
  }, { timeoutMs });
}

function surfaceRequest(overrides: Record<string, unknown> = {}) {
  return {
    model: modelId,
    dataset: { id: 'spirals', split: 'test', samples: 300, sampleSeed: 3 },
    directions: { seed: 7 },
    grid: { x: { min: -1, max: 1, num: 6 }, y: { min: -0.5, max: 0.5, num: 4 } },
    ...overrides,
  };
}

beforeAll(async () => {
  stack = await startStack({ workers: 2, lockMs: 3000 });
  const upload = await uploadModel(stack.baseUrl, 'spirals mlp', await mlpFiles([32, 32]));
  expect(upload.status).toBe(201);
  modelId = upload.body.id as string;
});

afterAll(async () => {
  await stack?.stop();
});

describe('surfaces end to end', () => {
  it('streams progress and partial values over SSE, then serves a result that matches them', async () => {
    const submitted = await api<{ id: string; links: { events: string } }>('/api/v1/surfaces', { method: 'POST', json: surfaceRequest() });
    expect(submitted.status).toBe(202);
    const events = await readEvents(`${stack.baseUrl}${submitted.body.links.events}`);
    const chunks = events.filter((e) => e.event === 'chunk').map((e) => JSON.parse(e.data));
    const progress = events.filter((e) => e.event === 'progress').map((e) => JSON.parse(e.data));
    expect(events.at(-1)!.event).toBe('done');
    expect(progress.at(-1)).toEqual({ done: 24, total: 24 });
    expect(progress.map((p) => p.done)).toEqual([...progress.map((p) => p.done)].sort((a, b) => a - b));

    const { status, body: result } = await api<SurfaceResult>(`/api/v1/surfaces/${submitted.body.id}/result`);
    expect(status).toBe(200);
    expect(result.shape).toEqual([4, 6]);
    expect(result.axes.x).toHaveLength(6);
    expect(result.axes.y).toEqual([-0.5, -0.5 + 1 / 3, -0.5 + 2 / 3, 0.5]);
    for (const chunk of chunks) {
      chunk.loss.forEach((value: number, k: number) => expect(result.loss[chunk.iy][chunk.ix[k]]).toBe(value));
    }
    const flat = result.loss.flat();
    expect(flat.every((v) => typeof v === 'number' && v > 0)).toBe(true);
    expect(result.accuracy!.flat().every((v) => v !== null && v >= 0 && v <= 1)).toBe(true);

    const record = (await api<SurfaceRecord>(`/api/v1/surfaces/${submitted.body.id}`)).body;
    expect(record.provenance.engine).toMatchObject({ name: 'onnx', backend: 'onnxruntime-cpu' });
    expect(record.provenance.directions.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(Math.abs(record.provenance.directions.cosine!)).toBeLessThan(0.5);
    expect(record.provenance.dataset.indicesHash).toMatch(/^[0-9a-f]{64}$/);
    expect(record.timings.secondsPerPoint).toBeGreaterThan(0);

    const directions = await fetch(`${stack.baseUrl}/api/v1/surfaces/${submitted.body.id}/directions`);
    expect(directions.status).toBe(200);
    const parameterCount = Number(directions.headers.get('x-parameter-count'));
    expect((await directions.arrayBuffer()).byteLength).toBe(2 * 4 * parameterCount);
  });

  it('resumes an event stream after Last-Event-ID', async () => {
    const { body } = await api<{ id: string; links: { events: string } }>('/api/v1/surfaces', { method: 'POST', json: surfaceRequest({ grid: { x: { min: -1, max: 1, num: 5 } } }) });
    const all = await readEvents(`${stack.baseUrl}${body.links.events}`);
    const resumeAfter = all[1]!;
    const rest = await readEvents(`${stack.baseUrl}${body.links.events}`, { lastEventId: resumeAfter.id });
    expect(rest.map((e) => e.id)).toEqual(all.slice(2).map((e) => e.id));
  });

  it('computes a 1D line: shape [1, nx], no y axis', async () => {
    const { status, body } = await api<{ id: string }>('/api/v1/surfaces', { method: 'POST', json: surfaceRequest({ grid: { x: { min: -2, max: 2, num: 9 } } }) });
    expect(status).toBe(202);
    expect((await waitFor(body.id)).status).toBe('completed');
    const result = (await api<SurfaceResult>(`/api/v1/surfaces/${body.id}/result`)).body;
    expect(result.kind).toBe('1d');
    expect(result.shape).toEqual([1, 9]);
    expect(result.axes.y).toBeNull();
    expect(result.loss[0]!.every((v) => v !== null)).toBe(true);
  });

  it('loses no point when a worker is killed with SIGKILL mid-surface, and gets the same values', async () => {
    // tfjs keeps each row busy long enough (≈ 0.4 s) that the victim is holding a chunk when it dies.
    const request = surfaceRequest({ engine: 'tfjs', dataset: { id: 'spirals', split: 'train', samples: 2000, sampleSeed: 1 }, grid: { x: { min: -1, max: 1, num: 12 }, y: { min: -1, max: 1, num: 12 } } });
    const { body } = await api<{ id: string; links: { events: string } }>('/api/v1/surfaces', { method: 'POST', json: request });
    // Kill a worker as soon as chunks are being recorded.
    const recorded = await until('chunks to be recorded', async () => {
      const record = (await api<SurfaceRecord>(`/api/v1/surfaces/${body.id}`)).body;
      return record.progress.done > 0 && record.progress.done;
    }, { intervalMs: 50 });
    expect(recorded).toBeLessThan(144 - 24);
    const victim = stack.workers[0]!;
    stack.killWorker(victim, 'SIGKILL');
    const finished = await waitFor(body.id, 180_000);
    expect(finished.status).toBe('completed');
    expect(finished.progress).toEqual({ done: 144, total: 144 });
    await stack.addWorker();

    const reference = (await api<{ id: string }>('/api/v1/surfaces', { method: 'POST', json: request })).body;
    expect((await waitFor(reference.id, 180_000)).status).toBe('completed');
    const interrupted = (await api<SurfaceResult>(`/api/v1/surfaces/${body.id}/result`)).body;
    const clean = (await api<SurfaceResult>(`/api/v1/surfaces/${reference.id}/result`)).body;
    expect(interrupted.loss.flat().every((v) => v !== null)).toBe(true);
    expect(interrupted.loss).toEqual(clean.loss);
    expect(interrupted.accuracy).toEqual(clean.accuracy);
    expect(interrupted.provenance.directions.hash).toBe(clean.provenance.directions.hash);
  });

  it('cancels: DELETE stops the surface and its event stream ends with cancelled', async () => {
    const request = surfaceRequest({ dataset: { id: 'spirals', split: 'train', samples: 2000 }, grid: { x: { min: -1, max: 1, num: 40 }, y: { min: -1, max: 1, num: 40 } } });
    const { body } = await api<{ id: string; links: { events: string } }>('/api/v1/surfaces', { method: 'POST', json: request });
    const cancelled = await api<SurfaceRecord>(`/api/v1/surfaces/${body.id}`, { method: 'DELETE' });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    const events = await readEvents(`${stack.baseUrl}${body.links.events}`);
    expect(events.at(-1)!.event).toBe('cancelled');
    await new Promise((r) => setTimeout(r, 1500));
    const later = (await api<SurfaceRecord>(`/api/v1/surfaces/${body.id}`)).body;
    expect(later.status).toBe('cancelled');
    expect(later.progress.done).toBeLessThan(1600);
    expect((await api(`/api/v1/surfaces/${body.id}/result`)).status).toBe(409);
  });

  it('keeps non-finite points as results: null in the grid and listed', async () => {
    // Ten ReLU layers with weights scaled by α = 1e6 overflow float32 activations to Inf, and softmax(Inf) is NaN.
    const deep = await uploadModel(stack.baseUrl, 'deep relu', await mlpFiles(new Array(10).fill(8), 5, 'relu'));
    const submitted = await api<{ id: string }>('/api/v1/surfaces', {
      method: 'POST',
      json: surfaceRequest({ model: deep.body.id, directions: { seed: 1, normalization: 'none' }, grid: { x: { min: 0, max: 1e6, num: 2 } } }),
    });
    expect(submitted.status).toBe(202);
    expect((await waitFor(submitted.body.id)).status).toBe('completed');
    const result = (await api<SurfaceResult>(`/api/v1/surfaces/${submitted.body.id}/result`)).body;
    expect(result.loss[0]![0]).toEqual(expect.any(Number));
    expect(result.loss[0]![1]).toBeNull();
    expect(result.nonFinite).toEqual([{ ix: 1, iy: 0, value: expect.stringMatching(/NaN|Infinity/) }]);
  });
});

describe('a surface whose job fails without its end being recorded', () => {
  it('rejects whenFinal instead of leaving it waiting, now and for later callers', async () => {
    const { surfaces, redis, keys } = stack.app.services;
    // Paused, so the surface's state can go before any worker sees the job.
    await surfaces.queue.pause();
    try {
      const { status, body } = await api<{ id: string }>('/api/v1/surfaces', { method: 'POST', json: surfaceRequest({ grid: { x: { min: -1, max: 1, num: 3 } } }) });
      expect(status).toBe(202);
      await redis.del(keys.surface(body.id));
      const waiting = surfaces.whenFinal(body.id);
      await surfaces.queue.resume();
      // The worker fails the job (no plan in Redis) but has no state to record the failure in.
      await expect(waiting).rejects.toMatchObject({ code: 'SURFACE_END_NOT_RECORDED', message: expect.stringMatching(/failed \(the surface has no plan in Redis\), but the surface's state is gone from Redis/) });
      await expect(surfaces.whenFinal(body.id)).rejects.toMatchObject({ code: 'SURFACE_END_NOT_RECORDED' });
    } finally {
      await surfaces.queue.resume();
    }
  }, 60_000);
});

describe('bad input gets a 4xx naming the field, and nothing is stored', () => {
  const cases: { name: string; body: () => unknown; status: number; field: string }[] = [
    { name: 'unknown model', body: () => surfaceRequest({ model: 'nope' }), status: 400, field: 'model' },
    { name: 'unknown dataset', body: () => surfaceRequest({ dataset: { id: 'imagenet' } }), status: 400, field: 'dataset.id' },
    { name: 'input shape mismatch', body: () => surfaceRequest({ dataset: { id: 'mnist' } }), status: 400, field: 'dataset.id' },
    { name: 'too many points on an axis', body: () => surfaceRequest({ grid: { x: { min: -1, max: 1, num: 100000 } } }), status: 400, field: 'grid.x.num' },
    { name: 'reversed axis', body: () => surfaceRequest({ grid: { x: { min: 1, max: -1, num: 5 } } }), status: 400, field: 'grid.x' },
    { name: 'unknown normalization', body: () => surfaceRequest({ directions: { normalization: 'batch' } }), status: 400, field: 'directions.normalization' },
    { name: 'unknown property', body: () => surfaceRequest({ colour: 'red' }), status: 400, field: 'colour' },
    { name: 'regression loss on a classification set', body: () => surfaceRequest({ loss: 'mse' }), status: 400, field: 'loss' },
    { name: 'missing grid', body: () => ({ model: modelId, dataset: { id: 'spirals' } }), status: 400, field: 'grid' },
    { name: 'more samples than the split has', body: () => surfaceRequest({ dataset: { id: 'spirals', split: 'test', samples: 1001 } }), status: 400, field: 'dataset.samples' },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const before = (await api<{ items: unknown[] }>('/api/v1/surfaces')).body.items.length;
      const { status, body } = await api<{ field: string; code: string; message: string }>('/api/v1/surfaces', { method: 'POST', json: c.body() });
      expect(status).toBe(c.status);
      expect(body.field).toBe(c.field);
      expect(body.message).toBeTruthy();
      expect((await api<{ items: unknown[] }>('/api/v1/surfaces')).body.items.length).toBe(before);
    });
  }

  it('names the split size when asked for more samples than the split has', async () => {
    const { body } = await api<{ code: string; message: string }>('/api/v1/surfaces', { method: 'POST', json: surfaceRequest({ dataset: { id: 'spirals', split: 'both', samples: 3001 } }) });
    expect(body.code).toBe('TOO_MANY_SAMPLES');
    expect(body.message).toMatch(/both split of dataset "spirals" has 3000 samples/);
  });

  it('rejects a model with a layer the engines cannot evaluate, naming the layer', async () => {
    const files = await mlpFiles([4]);
    const json = JSON.parse(new TextDecoder().decode(files['model.json']));
    json.modelTopology.config.layers[0].class_name = 'LSTM';
    const { status, body } = await uploadModel(stack.baseUrl, 'bad', { ...files, 'model.json': new TextEncoder().encode(JSON.stringify(json)) });
    expect(status).toBe(400);
    expect(String(body.message)).toMatch(/LSTM/);
    expect(body.field).toBe('model.json');
  });

  it('rejects weight shards whose size does not match the manifest, naming the file', async () => {
    const files = await mlpFiles([4]);
    const { status, body } = await uploadModel(stack.baseUrl, 'short', { ...files, 'weights.bin': files['weights.bin']!.slice(0, 12) });
    expect(status).toBe(400);
    expect(body.field).toBe('weights.bin');
    const models = (await api<{ items: { name: string }[] }>('/api/v1/models')).body.items;
    expect(models.map((m) => m.name)).not.toContain('short');
  });

  it('404s an unknown surface with a JSON error', async () => {
    const { status, body } = await api<{ code: string }>('/api/v1/surfaces/does-not-exist');
    expect(status).toBe(404);
    expect(body.code).toBe('SURFACE_NOT_FOUND');
  });
});

