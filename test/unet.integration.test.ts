import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatasetInfo, SurfaceRecord, SurfaceResult } from '../contract/index.ts';
import type { HessianPoint } from '../contract/metrics/hessian.ts';
import type { ArchitectureInfo } from '../contract/architectures.ts';
import type { ComparisonRecord } from '../contract/comparisons.ts';
import { builtinInstalled } from '../worker/datasets/fashion-mnist.ts';
import { builtinDataset } from '../worker/datasets/builtin.ts';
import { evaluationData } from '../worker/datasets/select.ts';
import { layersModelArtifact } from '../worker/engine/tfjs/artifact.ts';
import { initTfjs } from '../worker/engine/tfjs/backend.ts';
import { TfjsEvaluator } from '../worker/engine/tfjs/evaluator.ts';
import { saveLayersModel } from '../worker/engine/tfjs/save-model.ts';
import { unet } from '../worker/zoo/unet.ts';
import { uploadModel } from './helpers/models.ts';
import { startStack, type Stack } from './helpers/stack.ts';
import { until } from './helpers/until.ts';

/** U-Nets and segmentation sets through the real API, Redis and worker processes (onnx engine, the default). */
let stack: Stack;
let files: Record<string, Uint8Array>;

beforeAll(async () => {
  await initTfjs();
  stack = await startStack({ workers: 1, fixtures: null });
  const model = unet({ depth: 2, skips: 'concat', inputShape: [32, 32, 1], classes: 4, width: 0.25, seed: 5 });
  files = await saveLayersModel(model);
  model.dispose();
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

const post = (path: string, json: unknown) => stack.api(path, { method: 'POST', json });

describe('U-Net through the API', () => {
  it('lists unet in the zoo (segmentation, long skips) and the segmentation sets among the datasets', async () => {
    const { body: zoo } = await stack.api<{ items: ArchitectureInfo[] }>('/api/v1/architectures');
    const entry = zoo.items.find((a) => a.id === 'unet')!;
    expect(entry).toMatchObject({ family: 'unet', task: 'segmentation', skipKind: 'long', datasets: ['mnist-seg', 'fashion-mnist-seg', 'shapes'] });
    expect(entry.parameterCounts.map((c) => c.inputShape)).toEqual([[28, 28, 1], [32, 32, 1]]);
    const { body: datasets } = await stack.api<{ items: DatasetInfo[] }>('/api/v1/datasets');
    const ids = datasets.items.map((d) => d.id);
    expect(ids).toEqual(expect.arrayContaining(['mnist', 'mnist-seg', 'shapes']));
    expect(ids.includes('fashion-mnist')).toBe(builtinInstalled('fashion-mnist'));
    expect(datasets.items.find((d) => d.id === 'shapes')).toMatchObject({ task: 'segmentation', classes: 4, inputShape: [32, 32, 1] });
  });

  it('rejects unknown options, options of other families and a dataset of the other task with a 400 naming the field', async () => {
    const train = (architecture: unknown, dataset = 'shapes') => post('/api/v1/trainings', { architecture, dataset: { id: dataset }, epochs: 1 });
    const unknown = await train({ id: 'unet', levels: 3 });
    expect(unknown.status).toBe(400);
    expect(unknown.body.field).toBe('architecture.levels');
    const badSkips = await train({ id: 'unet', skips: 'dense' });
    expect(badSkips.status).toBe(400);
    expect(String(badSkips.body.field)).toMatch(/^architecture\.skips/);
    const foreign = await train({ id: 'resnet20', skips: 'none' }, 'mnist');
    expect(foreign).toMatchObject({ status: 400, body: { field: 'architecture.skips' } });
    const wrongTask = await train({ id: 'unet' }, 'mnist');
    expect(wrongTask.status).toBe(400);
    expect(wrongTask.body.field).toBe('architecture.id');
    expect(wrongTask.body.message).toMatch(/unet.*segmentation.*"mnist".*classification/);
    const tooDeep = await train({ id: 'unet', depth: 3 }, 'mnist-seg');
    expect(tooDeep).toMatchObject({ status: 400, body: { field: 'architecture.depth' } });
  });

  it('maps the surface of a tiny U-Net on shapes with the per-pixel loss and IoU as accuracy', async () => {
    const upload = await uploadModel(stack.baseUrl, 'tiny unet', files);
    expect(upload.status).toBe(201);
    const dataset = { id: 'shapes', split: 'test', samples: 24, sampleSeed: 2 } as const;
    const submitted = await post('/api/v1/surfaces', {
      model: upload.body.id, dataset, directions: { seed: 3 }, grid: { x: { min: -1, max: 1, num: 3 }, y: { min: -1, max: 1, num: 3 } },
    });
    expect(submitted.status).toBe(202);
    const id = submitted.body.id as string;
    const record = await until(`surface ${id} to end`, async () => {
      const current = (await stack.api<SurfaceRecord>(`/api/v1/surfaces/${id}`)).body;
      return ['completed', 'failed', 'cancelled'].includes(current.status) && current;
    }, { timeoutMs: 180_000, intervalMs: 300 });
    expect(record.status).toBe('completed');
    const { body: result } = await stack.api<SurfaceResult>(`/api/v1/surfaces/${id}/result`);
    const loss = result.loss.flat() as number[];
    const accuracy = result.accuracy!.flat() as number[];
    expect(loss.every((v) => Number.isFinite(v) && v > 0)).toBe(true);
    expect(accuracy.every((v) => v >= 0 && v <= 1)).toBe(true);

    // The centre (θ*) equals the in-process tfjs engine on the same samples: per-pixel CE and mean IoU.
    const { data } = evaluationData(builtinDataset('shapes'), 'test', 24, 2);
    const evaluator = await TfjsEvaluator.create();
    try {
      await evaluator.load(layersModelArtifact(files, 'tiny-unet'));
      await evaluator.setData(data);
      const expected = await evaluator.evaluate({ loss: 'sparse_categorical_crossentropy' });
      expect(Math.abs(result.loss[1]![1]! - expected.loss)).toBeLessThanOrEqual(1e-5 * expected.loss);
      expect(result.accuracy![1]![1]!).toBeCloseTo(expected.accuracy!, 4);
    } finally {
      evaluator.dispose();
    }

    // Hessian maps work for segmentation nets as for classifiers: exact products of the per-pixel
    // loss (worker/autodiff/pixel-losses.test.ts checks them against closed forms).
    expect((await post(`/api/v1/surfaces/${id}/hessian`, { points: 2, samples: 8 })).status).toBe(202);
    const map = await until('the Hessian map to end', async () => {
      const response = await stack.api<{ status?: string; error?: string; points?: HessianPoint[] }>(`/api/v1/surfaces/${id}/hessian`);
      return (response.status === 200 || response.body.status === 'failed') && response.body;
    }, { timeoutMs: 300_000, intervalMs: 300 });
    expect(map.error).toBeUndefined();
    expect(map.points).toHaveLength(4);
    for (const point of map.points!) {
      expect(point.converged).toBe(true);
      expect(point.lambdaMax).toBeGreaterThan(0);
      expect(point.lambdaMin).toBeLessThanOrEqual(point.lambdaMax!);
    }
  }, 400_000);

  it('compares a U-Net with and without its long skips: trains both, maps them on one grid, runs their Hessian maps and gradient flows', async () => {
    const submitted = await post('/api/v1/comparisons', {
      name: 'long skips',
      members: [
        { architecture: { id: 'unet', depth: 1, width: 0.25, skips: 'concat' }, label: 'concat' },
        { architecture: { id: 'unet', depth: 1, width: 0.25, skips: 'none' }, label: 'none' },
      ],
      shared: { dataset: { id: 'shapes', split: 'test', samples: 16 }, grid: { x: { min: -1, max: 1, num: 3 }, y: { min: -1, max: 1, num: 3 } }, directions: { seed: 1 }, hessian: { points: 2, samples: 8 } },
      training: { epochs: 1, batchSize: 64, seed: 2 },
    });
    expect(submitted.status).toBe(202);
    const id = (submitted.body as { id: string }).id;
    const record = await until(`comparison ${id} to end`, async () => {
      const current = (await stack.api<ComparisonRecord>(`/api/v1/comparisons/${id}`)).body;
      return current.status !== 'running' && current;
    }, { timeoutMs: 600_000, intervalMs: 500 });
    expect(record.status).toBe('completed');
    expect(typeof record.finding).toBe('string');
    for (const member of record.members) {
      expect(member.status).toBe('completed');
      expect(member.surface!.shape).toEqual([3, 3]);
      // Accuracy of a segmenter is its mean IoU, a fraction.
      expect(member.metrics!.center.accuracy).toBeGreaterThanOrEqual(0);
      expect(member.metrics!.center.accuracy).toBeLessThanOrEqual(1);
      expect(member.hessian).toMatchObject({ status: 'completed', progress: { done: 4, total: 4 } });
      expect(member.gradientFlow.map((f) => f.label)).toEqual(['initialisation', 'trained']);
    }
    // Removing the long skips changes only the first decoder conv's input channels: fewer weights, nothing else.
    const [withSkips, without] = await Promise.all(record.members.map(async (m) => (await stack.api<{ parameterCount: number }>(`/api/v1/models/${m.modelId}`)).body));
    expect(without!.parameterCount).toBeLessThan(withSkips!.parameterCount);
  }, 700_000);
});
