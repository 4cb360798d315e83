import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SurfaceRecord, SurfaceResult } from '../contract/index.ts';
import type { ComparisonRecord } from '../contract/comparisons.ts';
import type { EnsembleRecord } from '../contract/ensembles.ts';
import type { EnsembleStatistics } from '../contract/metrics/ensemble.ts';
import type { SurfaceMetrics } from '../contract/metrics/surface-metrics.ts';
import { mlpFiles, uploadModel } from './helpers/models.ts';
import { startStack, type Stack } from './helpers/stack.ts';
import { until } from './helpers/until.ts';

/**
 * Direction ensembles through the real pipeline (API, Redis, worker processes): a k = 3 ensemble of
 * a small MLP on moons, each member against a plain surface of its seed, the statistics against
 * ones computed here from the members, a comparison over ensembles, and bad k.
 */

let stack: Stack;
let modelId: string;
let otherModelId: string;
/** Tests that wait for several surfaces: generous, since a loaded machine may take minutes. */
const HEAVY_MS = 600_000;
const SEED = 5;
const STRIDE = 506_952_113;
// Steps of 0.25 in α, 0.2 in β: points within the sharpness radius r = 0.25 of θ*.
const grid = { x: { min: -0.5, max: 0.5, num: 5 }, y: { min: -0.4, max: 0.4, num: 5 } };
const dataset = { id: 'moons', samples: 150 };
let accepted: { id: string; kind: string; k: number; links: { self: string; statistics: string; members: string[] } };
let location: string | null;
let statisticsBeforeDone: { status: number; body: { code?: string } };

beforeAll(async () => {
  stack = await startStack({ workers: 2, fixtures: null });
  modelId = (await uploadModel(stack.baseUrl, 'mlp one', await mlpFiles([8], 1))).body.id as string;
  otherModelId = (await uploadModel(stack.baseUrl, 'mlp two', await mlpFiles([8], 2, 'relu'))).body.id as string;
  const response = await fetch(`${stack.baseUrl}/api/v1/surfaces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: modelId, dataset, grid, directions: { seed: SEED, ensemble: 3 }, name: 'mlp' }),
  });
  expect(response.status).toBe(202);
  location = response.headers.get('location');
  accepted = (await response.json()) as typeof accepted;
  statisticsBeforeDone = await stack.api(accepted.links.statistics);
}, HEAVY_MS);

afterAll(async () => {
  await stack?.stop();
});

async function ensembleDone(id: string): Promise<EnsembleRecord> {
  return until(`ensemble ${id} to end`, async () => {
    const { body } = await stack.api<EnsembleRecord>(`/api/v1/ensembles/${id}`);
    return body.status !== 'queued' && body.status !== 'running' && body;
  });
}

async function surfaceDone(id: string): Promise<SurfaceResult> {
  await until(`surface ${id} to complete`, async () => {
    const { body } = await stack.api<SurfaceRecord>(`/api/v1/surfaces/${id}`);
    if (body.status !== 'completed') expect(body.status === 'queued' || body.status === 'running').toBe(true);
    return body.status === 'completed';
  });
  return (await stack.api<SurfaceResult>(`/api/v1/surfaces/${id}/result`)).body;
}

/** Median, quartiles and extremes of three finite values, written out by hand: sorted a ≤ b ≤ c → b, (a + b)/2, (b + c)/2, a, c. */
function byHand(values: number[]): { median: number; q1: number; q3: number; min: number; max: number } {
  const [a, b, c] = [...values].sort((p, q) => p - q) as [number, number, number];
  return { median: b, q1: (a + b) / 2, q3: (b + c) / 2, min: a, max: c };
}

function expectClose(actual: number | null, expected: number) {
  expect(actual).not.toBeNull();
  expect(Math.abs(actual! - expected)).toBeLessThanOrEqual(1e-15 * Math.max(1, Math.abs(expected)));
}

describe('POST /api/v1/surfaces with directions.ensemble', () => {
  it('answers 202 with the ensemble: its links, one member surface per seed, 409 for statistics until done', () => {
    expect(accepted).toMatchObject({ kind: 'ensemble', k: 3 });
    expect(location).toBe(`/api/v1/ensembles/${accepted.id}`);
    expect(accepted.links.self).toBe(location);
    expect(accepted.links.members).toHaveLength(3);
    expect(statisticsBeforeDone).toMatchObject({ status: 409, body: { code: 'ENSEMBLE_NOT_READY' } });
  });

  it('computes every member, records each seed, and each member equals a plain surface with that seed exactly', async () => {
    const ensemble = await ensembleDone(accepted.id);
    expect(ensemble.status, JSON.stringify(ensemble.error)).toBe('completed');
    const seeds = [SEED, SEED + STRIDE, SEED + 2 * STRIDE];
    expect(ensemble.directions.seeds).toEqual(seeds);
    expect(ensemble.progress).toEqual({ done: 75, total: 75 });
    expect(ensemble.finishedAt).not.toBeNull();
    expect(ensemble.members.map((m) => m.seed)).toEqual(seeds);
    const plainIds = await Promise.all(seeds.map(async (seed) => (await stack.api<{ id: string }>('/api/v1/surfaces', { method: 'POST', json: { model: modelId, dataset, grid, directions: { seed } } })).body.id));
    for (const [j, member] of ensemble.members.entries()) {
      const [result, plain] = await Promise.all([surfaceDone(member.surfaceId), surfaceDone(plainIds[j]!)]);
      expect(result.provenance.directions.seed).toBe(seeds[j]);
      expect(result.provenance.directions.hash).toBe(plain.provenance.directions.hash);
      expect(result.loss).toEqual(plain.loss);
      expect(result.accuracy).toEqual(plain.accuracy);
      expect(result.lossStdError).toEqual(plain.lossStdError);
    }
    // Independent pairs: the members' surfaces differ.
    const [first, second] = await Promise.all(ensemble.members.slice(0, 2).map((m) => surfaceDone(m.surfaceId)));
    expect(first!.loss).not.toEqual(second!.loss);
  }, HEAVY_MS);

  it('serves statistics equal to the median, quartiles and extremes of the members, point by point and metric by metric', async () => {
    const ensemble = await ensembleDone(accepted.id);
    const { status, body: statistics } = await stack.api<EnsembleStatistics>(accepted.links.statistics);
    expect(status).toBe(200);
    const results = await Promise.all(ensemble.members.map((m) => surfaceDone(m.surfaceId)));
    expect(statistics.shape).toEqual([5, 5]);
    expect(statistics.members.map((m) => m.surfaceId)).toEqual(ensemble.members.map((m) => m.surfaceId));
    for (let iy = 0; iy < 5; iy++) {
      for (let ix = 0; ix < 5; ix++) {
        const loss = byHand(results.map((r) => r.loss[iy]![ix]!));
        for (const key of ['median', 'q1', 'q3', 'min', 'max'] as const) expectClose(statistics.loss[key][iy]![ix]!, loss[key]);
        expect(statistics.loss.finiteMembers[iy]![ix]).toBe(3);
        expectClose(statistics.accuracy!.median[iy]![ix]!, byHand(results.map((r) => r.accuracy![iy]![ix]!)).median);
      }
    }
    const metrics = await Promise.all(ensemble.members.map(async (m) => (await stack.api<SurfaceMetrics>(`/api/v1/surfaces/${m.surfaceId}/metrics`)).body));
    const figures: [string, (m: SurfaceMetrics) => number][] = [
      ['sharpness.meanRise', (m) => m.sharpness.meanRise!],
      ['roughness.totalVariation', (m) => m.roughness.totalVariation],
      ['roughness.strictLocalMinima', (m) => m.roughness.strictLocalMinima],
      ['basin[tau=0.5].area', (m) => m.basin.find((b) => b.tau === 0.5)!.area],
      ['minimum.loss', (m) => m.minimum.loss!],
    ];
    for (const [path, figure] of figures) {
      const spread = statistics.metrics[path]!;
      expect(spread.values).toEqual(metrics.map(figure));
      const expected = byHand(metrics.map(figure));
      for (const key of ['median', 'q1', 'q3', 'min', 'max'] as const) expectClose(spread[key], expected[key]);
    }
  });

  it('is listed, and described in the OpenAPI spec', async () => {
    const { body } = await stack.api<{ items: EnsembleRecord[] }>('/api/v1/ensembles');
    expect(body.items.map((e) => e.id)).toContain(accepted.id);
    const spec = (await stack.api<{ paths: Record<string, unknown> }>('/docs/json')).body;
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/api/v1/ensembles', '/api/v1/ensembles/{id}', '/api/v1/ensembles/{id}/statistics']));
    const text = JSON.stringify(spec);
    expect(text).toContain('seed_j = (seed + j·506952113) mod 2^31');
    expect(text).toContain('linear interpolation between closest ranks');
  });
});

describe('DELETE /api/v1/ensembles/{id}', () => {
  it('cancels every member', async () => {
    const big = { x: { min: -1, max: 1, num: 41 }, y: { min: -1, max: 1, num: 41 } };
    const { body } = await stack.api<{ id: string }>('/api/v1/surfaces', { method: 'POST', json: { model: modelId, dataset, grid: big, directions: { ensemble: 2 } } });
    const cancelled = await stack.api<EnsembleRecord>(`/api/v1/ensembles/${body.id}`, { method: 'DELETE' });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect(cancelled.body.members.map((m) => m.status)).toEqual(['cancelled', 'cancelled']);
    expect((await stack.api<{ code: string }>(`/api/v1/ensembles/${body.id}/statistics`)).body.code).toBe('ENSEMBLE_NOT_READY');
  });
});

describe('bad k', () => {
  const post = (ensemble: unknown, extra: Record<string, unknown> = {}) =>
    stack.api<{ code: string; field: string; message: string }>('/api/v1/surfaces', { method: 'POST', json: { model: modelId, dataset, grid, directions: { ensemble }, ...extra } });

  it('400 naming directions.ensemble for 0, for more than 16 and for a fraction', async () => {
    for (const k of [0, 17, 2.5]) {
      const { status, body } = await post(k);
      expect(status).toBe(400);
      expect(body.field).toBe('directions.ensemble');
    }
  });

  it('400 naming the field at fault before any member is queued', async () => {
    const before = (await stack.api<{ items: SurfaceRecord[] }>('/api/v1/surfaces')).body.items.length;
    const { status, body } = await post(3, { model: 'no-such-model' });
    expect(status).toBe(400);
    expect(body.field).toBe('model');
    expect((await stack.api<{ items: SurfaceRecord[] }>('/api/v1/surfaces')).body.items.length).toBe(before);
  });
});

describe('a comparison over direction ensembles', () => {
  it('maps every member over the same k pairs and states the spread in its finding', async () => {
    const submitted = await stack.api<ComparisonRecord>('/api/v1/comparisons', {
      method: 'POST',
      json: {
        name: 'tanh vs relu',
        members: [{ model: modelId, label: 'tanh' }, { model: otherModelId, label: 'relu' }],
        shared: { dataset, grid: { x: { min: -0.75, max: 0.75, num: 7 }, y: { min: -0.75, max: 0.75, num: 7 } }, directions: { seed: 2, ensemble: 3 }, hessian: false },
      },
    });
    expect(submitted.status).toBe(202);
    const record = await until(`comparison ${submitted.body.id} to end`, async () => {
      const current = (await stack.api<ComparisonRecord>(`/api/v1/comparisons/${submitted.body.id}`)).body;
      return current.status !== 'running' && current;
    }, { timeoutMs: 600_000, intervalMs: 300 });
    expect(record.status).toBe('completed');
    const spreads = [];
    for (const member of record.members) {
      const ensemble = (await stack.api<EnsembleRecord>(`/api/v1/ensembles/${member.ensemble!.id}`)).body;
      expect(ensemble.directions.seeds).toEqual([2, 2 + STRIDE, 2 + 2 * STRIDE]);
      // The member's surface is the ensemble's member 0: the shared seed.
      expect(member.surfaceId).toBe(ensemble.members[0]!.surfaceId);
      const statistics = (await stack.api<EnsembleStatistics>(`/api/v1/ensembles/${ensemble.id}/statistics`)).body;
      expect(member.ensemble!.metrics).toEqual(statistics.metrics);
      spreads.push(statistics.metrics['sharpness.meanRise']!);
    }
    const [sharp, flat] = spreads[0]!.median! >= spreads[1]!.median! ? [spreads[0]!, spreads[1]!] : [spreads[1]!, spreads[0]!];
    const overlap = sharp.q1! <= flat.q3!;
    expect(record.finding).toContain('3 vs 3 direction pairs');
    expect(record.finding).toContain(overlap ? 'the interquartile ranges overlap' : 'the interquartile ranges do not overlap');
    if (overlap) expect(record.finding).toContain('does not exceed the spread');
  }, HEAVY_MS);
});
