import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChunkValues, SurfaceRecord, SurfaceResult } from '../contract/index.ts';
import type { SurfaceDifference } from '../contract/metrics/difference.ts';
import { mlpFiles, uploadModel } from './helpers/models.ts';
import { readEvents } from './helpers/sse.ts';
import { startStack, type Stack } from './helpers/stack.ts';
import { until } from './helpers/until.ts';

/**
 * Standard errors through the real pipeline (workers, Redis, SSE) and difference surfaces
 * (GET /api/v1/surfaces/{id}/difference/{other}) on small MLPs over moons.
 */

let stack: Stack;
let modelId: string;
const ids: Record<'a' | 'b' | 'otherSamples' | 'otherGrid' | 'bootstrapped', string> = { a: '', b: '', otherSamples: '', otherGrid: '', bootstrapped: '' };
const grid = { x: { min: -1, max: 1, num: 5 }, y: { min: -1, max: 1, num: 4 } };

async function submit(model: string, changes: { sampleSeed?: number; grid?: typeof grid; bootstrap?: { resamples: number } } = {}): Promise<string> {
  const { status, body } = await stack.api<{ id: string }>('/api/v1/surfaces', {
    method: 'POST',
    json: { model, dataset: { id: 'moons', samples: 150, sampleSeed: changes.sampleSeed ?? 0 }, grid: changes.grid ?? grid, bootstrap: changes.bootstrap },
  });
  expect(status).toBe(202);
  return body.id;
}

async function completed(id: string): Promise<SurfaceResult> {
  await until(`surface ${id} to complete`, async () => {
    const record = (await stack.api<SurfaceRecord>(`/api/v1/surfaces/${id}`)).body;
    expect(record.status).not.toBe('failed');
    return record.status === 'completed';
  }, { intervalMs: 100 });
  return (await stack.api<SurfaceResult>(`/api/v1/surfaces/${id}/result`)).body;
}

beforeAll(async () => {
  stack = await startStack({ workers: 1, fixtures: null });
  const first = (await uploadModel(stack.baseUrl, 'mlp one', await mlpFiles([8], 1))).body.id as string;
  const second = (await uploadModel(stack.baseUrl, 'mlp two', await mlpFiles([8], 2))).body.id as string;
  ids.a = await submit(first);
  ids.b = await submit(second);
  ids.otherSamples = await submit(first, { sampleSeed: 3 });
  ids.otherGrid = await submit(first, { grid: { ...grid, x: { ...grid.x, num: 4 } } });
  ids.bootstrapped = await submit(first, { bootstrap: { resamples: 400 } });
  modelId = first;
  await Promise.all(Object.values(ids).map(completed));
}, 300_000);

afterAll(async () => {
  await stack?.stop();
});

const difference = (a: string, b: string) => stack.api<SurfaceDifference & { code?: string; field?: string }>(`/api/v1/surfaces/${a}/difference/${b}`);

describe('standard errors through the pipeline', () => {
  it('every point of the result has one, and the SSE chunk events carry the same numbers', async () => {
    const result = await completed(ids.a);
    expect(result.lossStdError).toHaveLength(4);
    for (const row of result.lossStdError!) for (const se of row) expect(se).toBeGreaterThan(0);
    const events = await readEvents(`${stack.baseUrl}/api/v1/surfaces/${ids.a}/events`);
    const chunks = events.filter((e) => e.event === 'chunk').map((e) => JSON.parse(e.data) as ChunkValues);
    expect(chunks.length).toBeGreaterThan(0);
    for (const chunk of chunks) chunk.lossStdError!.forEach((se, k) => expect(se).toBe(result.lossStdError![chunk.iy]![chunk.ix[k]!]));
  });
});

describe('OpenAPI', () => {
  it('describes the difference resource and the standard error with its formula', async () => {
    const spec = (await stack.api<{ paths: Record<string, { get?: { summary: string } }>; components?: unknown }>('/docs/json')).body;
    expect(spec.paths['/api/v1/surfaces/{id}/difference/{other}']!.get!.summary).toContain('L_A − L_B');
    const text = JSON.stringify(spec);
    expect(text).toContain('lossStdError[iy][ix]');
    expect(text).toContain('sqrt(s² / N) with s² = Σ (ℓ_i − L)² / (N − 1)');
  });
});

describe('bootstrap', () => {
  it('brackets every loss by its 95 % percentile interval, with a standard error near the analytic one, and leaves the values unchanged', async () => {
    const [plain, result] = await Promise.all([completed(ids.a), completed(ids.bootstrapped)]);
    expect(result.loss).toEqual(plain.loss);
    const bootstrap = result.lossBootstrap!;
    expect(bootstrap).toMatchObject({ resamples: 400, seed: 0 });
    result.loss.forEach((row, iy) => row.forEach((loss, ix) => {
      expect(bootstrap.low[iy]![ix]!).toBeLessThan(loss!);
      expect(bootstrap.high[iy]![ix]!).toBeGreaterThan(loss!);
      // Plug-in: the bootstrap's standard error is sqrt((n − 1)/n) times the analytic one, up to resampling noise (about 1/sqrt(2B) = 3.5 %).
      expect(Math.abs(bootstrap.stdError[iy]![ix]! / (Math.sqrt(149 / 150) * result.lossStdError![iy]![ix]!) - 1)).toBeLessThan(0.15);
    }));
  });

  it('refuses more resamples × samples than a point may draw, naming bootstrap.resamples', async () => {
    const { status, body } = await stack.api<{ code: string; field: string }>('/api/v1/surfaces', {
      method: 'POST',
      json: { model: modelId, dataset: { id: 'moons', split: 'train', samples: 2000 }, grid, bootstrap: { resamples: 2000 } },
    });
    expect(status).toBe(400);
    expect(body).toMatchObject({ code: 'BOOTSTRAP_TOO_LARGE', field: 'bootstrap.resamples' });
  });
});

describe('difference surfaces', () => {
  it('of a surface with itself: zero everywhere, √2 times its standard errors, nothing beyond the noise', async () => {
    const a = await completed(ids.a);
    const { status, body } = await difference(ids.a, ids.a);
    expect(status).toBe(200);
    expect(body.shape).toEqual([4, 5]);
    expect(body.loss.flat().every((d) => d === 0)).toBe(true);
    expect(body.accuracy!.flat().every((d) => d === 0)).toBe(true);
    body.lossStdError!.forEach((row, iy) => row.forEach((se, ix) => expect(se).toBeCloseTo(Math.SQRT2 * a.lossStdError![iy]![ix]!, 15)));
    expect(body.metrics).toEqual({ points: 20, meanDifference: 0, meanAbsolute: 0, maxAbsolute: 0, maxAbsoluteAt: { ix: 0, iy: 0 }, beyondNoiseShare: 0 });
  });

  it('of two models on the same grid, samples and directions: L_A − L_B point-wise with its metrics', async () => {
    const [a, b] = await Promise.all([completed(ids.a), completed(ids.b)]);
    const { status, body } = await difference(ids.a, ids.b);
    expect(status).toBe(200);
    const expected = a.loss.map((row, iy) => row.map((l, ix) => l! - b.loss[iy]![ix]!));
    expect(body.loss).toEqual(expected);
    const absolute = expected.flat().map(Math.abs);
    expect(body.metrics.maxAbsolute).toBe(Math.max(...absolute));
    expect(body.metrics.meanAbsolute).toBeCloseTo(absolute.reduce((s, v) => s + v, 0) / 20, 12);
    const beyond = expected.flat().filter((d, k) => Math.abs(d) > 2 * Math.hypot(a.lossStdError!.flat()[k]!, b.lossStdError!.flat()[k]!)).length;
    expect(body.metrics.beyondNoiseShare).toBe(beyond / 20);
    expect(body.settings).toEqual({ dataset: { id: 'moons', split: 'test', samples: 150, sampleSeed: 0 }, loss: a.provenance.loss, directions: { seed: 0, normalization: 'filter', ignore: 'biasbn', mode: 'weights' } });
  });

  it('refuses surfaces that differ in a setting with a coded 409 naming it', async () => {
    const samples = await difference(ids.a, ids.otherSamples);
    expect(samples.status).toBe(409);
    expect(samples.body).toMatchObject({ code: 'SURFACES_NOT_COMPARABLE', field: 'dataset.sampleSeed' });
    const gridMismatch = await difference(ids.otherGrid, ids.a);
    expect(gridMismatch.status).toBe(409);
    expect(gridMismatch.body).toMatchObject({ code: 'SURFACES_NOT_COMPARABLE', field: 'grid.x' });
    expect((await difference(ids.a, 'no-such-surface')).status).toBe(404);
  });
});
