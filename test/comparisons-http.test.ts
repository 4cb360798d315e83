import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMPARISON_HESSIAN_DEFAULTS, type ComparisonRecord } from '../contract/comparisons.ts';
import type { HessianMapResult } from '../contract/metrics/hessian.ts';
import type { SurfaceRecord } from '../contract/surface.ts';
import type { TrainingRecord } from '../contract/training.ts';
import { mlpFiles, uploadModel } from './helpers/models.ts';
import { startStack, type Stack } from './helpers/stack.ts';
import { until } from './helpers/until.ts';

let stack: Stack;

beforeAll(async () => {
  // No fixtures: a fixture trained with the same recipe would be reused instead of trained.
  stack = await startStack({ workers: 1, fixtures: null });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

const post = (path: string, json: unknown) => stack.api(path, { method: 'POST', json });
const get = async <T>(path: string): Promise<T> => (await stack.api<T>(path)).body;

async function finished(id: string): Promise<ComparisonRecord> {
  let last: ComparisonRecord | null = null;
  return until(() => `comparison ${id} (members ${JSON.stringify(last?.members.map((m) => m.status))})`, async () => {
    last = await get<ComparisonRecord>(`/api/v1/comparisons/${id}`);
    return last.status !== 'running' && last;
  }, { timeoutMs: 240_000, intervalMs: 500 });
}

const shared = {
  dataset: { id: 'spirals', split: 'test', samples: 200 },
  grid: { x: { min: -1, max: 1, num: 5 }, y: { min: -1, max: 1, num: 5 } },
  directions: { seed: 7 },
};

describe('POST /api/v1/comparisons', () => {
  it('trains the members, maps them on the identical grid with the same directions and measures them', async () => {
    const submitted = await post('/api/v1/comparisons', {
      name: 'mlp vs mlp-res',
      members: [{ architecture: { id: 'mlp' } }, { architecture: { id: 'mlp-res' }, label: 'residual' }],
      shared,
      training: { epochs: 2, batchSize: 100, seed: 3, optimizer: { name: 'adam', learningRate: 0.01 } },
    });
    expect(submitted.status).toBe(202);
    const record = await finished((submitted.body as unknown as ComparisonRecord).id);
    expect(record.status).toBe('completed');
    expect(record.members.map((m) => m.label)).toEqual(['mlp', 'residual']);
    expect(typeof record.finding).toBe('string');

    const surfaces: SurfaceRecord[] = [];
    for (const member of record.members) {
      expect(member.status).toBe('completed');
      const training = await get<TrainingRecord>(`/api/v1/trainings/${member.trainingId}`);
      expect(training.status).toBe('completed');
      expect(training.modelId).toBe(member.modelId);
      expect(training.request).toMatchObject({ epochs: 2, seed: 3, dataset: { id: 'spirals' } });
      expect(member.surface!.shape).toEqual([5, 5]);
      expect(member.surface!.axes.x).toEqual([-1, -0.5, 0, 0.5, 1]);
      expect(member.metrics!.points.total).toBe(25);
      // θ* is at the centre of the grid: its loss is the surface's value there.
      expect(member.metrics!.center.loss).toBe(member.surface!.loss[2]![2]);
      // Gradient flow at initialisation (rebuilt from the recipe's seed) and trained, on the surface's samples.
      const [initial, trained] = member.gradientFlow;
      expect(member.gradientFlow.map((f) => f.label)).toEqual(['initialisation', 'trained']);
      expect(member.gradientFlowOmitted).toEqual([]);
      expect(initial!.samples).toBe(200);
      expect(initial!.layers.length).toBe(trained!.layers.length);
      expect(initial!.layers.length).toBeGreaterThan(0);
      expect(initial!.loss).toBeGreaterThan(trained!.loss);
      // The Hessian map with the default comparison settings, summarised on the member and served in full.
      expect(member.hessian).toMatchObject({ status: 'completed', progress: { done: 9, total: 9 }, error: null });
      const map = await get<HessianMapResult>(`/api/v1/surfaces/${member.surfaceId}/hessian`);
      expect(map.shape).toEqual([3, 3]);
      expect(map.settings).toMatchObject(COMPARISON_HESSIAN_DEFAULTS);
      expect(member.hessian!.summary).toEqual(map.summary);
      expect(map.summary.points).toBe(9);
      expect(map.points.find((p) => p.x === 0 && p.y === 0)!.lambdaMax).toBeGreaterThan(0);
      surfaces.push(await get<SurfaceRecord>(`/api/v1/surfaces/${member.surfaceId}`));
    }
    // Identical samples and direction settings; the models (and so the directions' scale) differ.
    expect(surfaces[0]!.provenance.dataset).toEqual(surfaces[1]!.provenance.dataset);
    expect(surfaces[0]!.provenance.directions.seed).toBe(7);
    expect(surfaces[1]!.provenance.directions.seed).toBe(7);
    expect(surfaces[0]!.provenance.directions.normalization).toBe(surfaces[1]!.provenance.directions.normalization);
    expect(surfaces[0]!.provenance.model.id).not.toBe(surfaces[1]!.provenance.model.id);

    // A second comparison with the same recipe reuses the trained weights instead of training again.
    const again = await post('/api/v1/comparisons', {
      members: [{ architecture: { id: 'mlp' } }, { model: record.members[1]!.modelId! }],
      shared: { ...shared, grid: { x: { min: -0.5, max: 0.5, num: 3 } }, hessian: false },
      training: { epochs: 2, batchSize: 100, seed: 3, optimizer: { name: 'adam', learningRate: 0.01 } },
    });
    const reused = await finished((again.body as unknown as ComparisonRecord).id);
    expect(reused.status).toBe('completed');
    expect(reused.members.map((m) => m.modelId)).toEqual(record.members.map((m) => m.modelId));
    expect(reused.members.map((m) => m.trainingId)).toEqual([null, null]);
    expect(reused.members[0]!.surface!.shape).toEqual([1, 3]);
    expect(reused.members.map((m) => m.hessian)).toEqual([null, null]);
    // A stored model trained from a zoo recipe gets its initialisation flow too.
    expect(reused.members[1]!.gradientFlow.map((f) => f.label)).toEqual(['initialisation', 'trained']);
    expect(reused.members[1]!.gradientFlow[0]!.layers).toEqual(record.members[1]!.gradientFlow[0]!.layers);
  }, 300_000);

  it('says why a flow is left out: an uploaded model has no recipe to rebuild its initialisation from', async () => {
    const upload = await uploadModel(stack.baseUrl, 'uploaded spirals mlp', await mlpFiles([8]));
    const submitted = await post('/api/v1/comparisons', {
      members: [{ model: upload.body.id }],
      shared: { ...shared, grid: { x: { min: -1, max: 1, num: 3 } }, hessian: false },
    });
    expect(submitted.status).toBe(202);
    const record = await finished((submitted.body as unknown as ComparisonRecord).id);
    expect(record.status).toBe('completed');
    const [member] = record.members;
    expect(member!.gradientFlow.map((f) => f.label)).toEqual(['trained']);
    expect(member!.gradientFlowOmitted).toEqual([{ label: 'initialisation', reason: 'the model has no zoo training recipe to rebuild its initial weights from' }]);
  }, 120_000);

  it('serves a comparison stored before members had Hessian maps and gradient flows', async () => {
    const { redis, keys } = stack.app.services;
    const old = {
      id: 'old-comparison', name: null, status: 'failed', request: {}, finding: null, createdAt: '2026-11-01T00:00:00.000Z', finishedAt: '2026-11-01T00:01:00.000Z',
      links: { self: '/api/v1/comparisons/old-comparison' },
      members: [{ label: 'mlp', architecture: null, status: 'failed', trainingId: null, modelId: null, surfaceId: null, metrics: null, error: { code: 'MEMBER_FAILED', message: 'x' } }],
    };
    await redis.set(keys.comparison(old.id), JSON.stringify(old));
    const response = await fetch(`${stack.baseUrl}/api/v1/comparisons/${old.id}`);
    expect(response.status).toBe(200);
    expect(((await response.json()) as ComparisonRecord).members[0]).toMatchObject({ hessian: null, gradientFlow: [], surface: null });
  });

  it('rejects a member that is neither a model nor an architecture, an architecture that does not exist and bad Hessian settings, naming the field', async () => {
    const both = await post('/api/v1/comparisons', { members: [{ label: 'x' }], shared });
    expect(both.status).toBe(400);
    expect(both.body.field).toBe('members.0');
    const unknown = await post('/api/v1/comparisons', { members: [{ architecture: { id: 'mlp' } }, { architecture: { id: 'vgg16' } }], shared });
    expect(unknown.status).toBe(400);
    expect(unknown.body.field).toBe('members.1.architecture.id');
    const badHessian = await post('/api/v1/comparisons', { members: [{ architecture: { id: 'mlp' } }], shared: { ...shared, hessian: { points: 1 } } });
    expect(badHessian.status).toBe(400);
    expect(badHessian.body.field).toBe('shared.hessian.points');
    const missing = await get<{ statusCode: number }>('/api/v1/comparisons/nope');
    expect(missing.statusCode).toBe(404);
  });

  it('checks every member completely before storing anything: a 400 names the comparison\'s field and leaves no comparison or training behind', async () => {
    const upload = await uploadModel(stack.baseUrl, 'spirals mlp', await mlpFiles([4]));
    expect(upload.status).toBe(201);
    const stored = async () => ({
      comparisons: (await get<{ items: unknown[] }>('/api/v1/comparisons')).items.length,
      trainings: (await get<{ items: unknown[] }>('/api/v1/trainings')).items.length,
      surfaces: (await get<{ items: unknown[] }>('/api/v1/surfaces')).items.length,
    });
    const before = await stored();
    const cases: { body: unknown; code: string; field: string }[] = [
      // More samples than the split has, caught for a member still to be trained.
      { body: { members: [{ architecture: { id: 'mlp' } }], shared: { ...shared, dataset: { id: 'spirals', split: 'test', samples: 1001 } } }, code: 'TOO_MANY_SAMPLES', field: 'shared.dataset.samples' },
      // The second member's model does not fit the dataset: the first, valid one is not stored either.
      { body: { members: [{ model: upload.body.id }, { model: upload.body.id }], shared: { ...shared, dataset: { id: 'mnist', samples: 10 } } }, code: 'SHAPE_MISMATCH', field: 'shared.dataset.id' },
      { body: { members: [{ architecture: { id: 'mlp' } }], shared: { ...shared, grid: { x: { min: 1, max: -1, num: 5 } } } }, code: 'BAD_AXIS', field: 'shared.grid.x' },
      // An image net on 2-D points: the training the member needs could never start.
      { body: { members: [{ model: upload.body.id }, { architecture: { id: 'resnet8' } }], shared }, code: 'INVALID_INPUT', field: 'members.1.architecture.id' },
    ];
    for (const c of cases) {
      const response = await post('/api/v1/comparisons', c.body);
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ code: c.code, field: c.field });
    }
    expect(await stored()).toEqual(before);
    expect(await stack.app.services.redis.zcard(stack.app.services.keys.comparisons)).toBe(before.comparisons);
  });
});
