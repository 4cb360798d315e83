import * as tf from '../worker/engine/tfjs/tf.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatasetInfo, SurfaceRecord, SurfaceResult } from '../contract/index.ts';
import { saveLayersModel } from '../worker/engine/tfjs/save-model.ts';
import { startStack, type Stack } from './helpers/stack.ts';
import { uploadModel } from './helpers/models.ts';
import { until } from './helpers/until.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ workers: 1 });
});
afterAll(async () => {
  await stack?.stop();
});

async function uploadDataset(name: string, files: Record<string, Uint8Array | string>) {
  const form = new FormData();
  form.set('name', name);
  for (const [fileName, content] of Object.entries(files)) form.append('file', new Blob([typeof content === 'string' ? content : Buffer.from(content)]), fileName);
  const response = await fetch(`${stack.baseUrl}/api/v1/datasets`, { method: 'POST', body: form });
  return { status: response.status, body: (await response.json()) as DatasetInfo & { field?: string; message?: string } };
}

describe('datasets', () => {
  it('lists the built-in sets with their splits', async () => {
    const { items } = (await (await fetch(`${stack.baseUrl}/api/v1/datasets`)).json()) as { items: DatasetInfo[] };
    const mnist = items.find((d) => d.id === 'mnist')!;
    expect(mnist.splits).toEqual({ train: 8000, test: 2000 });
    expect(mnist.inputShape).toEqual([28, 28, 1]);
    expect(items.map((d) => d.id)).toEqual(expect.arrayContaining(['spirals', 'moons', 'circles', 'blobs']));
  });

  it('maps a regression surface on an uploaded JSON dataset: MSE equals the closed form at θ*, no accuracy', async () => {
    const x = Array.from({ length: 50 }, (_, i) => [i / 50, Math.sin(i)]);
    const y = x.map(([a, b]) => [2 * a! - b! + 0.5]);
    const dataset = await uploadDataset('linear', { 'linear.json': JSON.stringify({ x, y }) });
    expect(dataset.status).toBe(201);
    expect(dataset.body).toMatchObject({ task: 'regression', inputShape: [2], targetSize: 1, splits: { train: 40, test: 10 } });

    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 1 })] });
    model.setWeights([tf.tensor2d([[1.5], [-0.5]]), tf.tensor1d([0.25])]);
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const uploaded = await uploadModel(stack.baseUrl, 'linear', (await saveLayersModel(model)) as unknown as Record<string, Uint8Array>);
    expect(uploaded.status).toBe(201);
    expect(uploaded.body.loss).toBe('mse');

    const submitted = await fetch(`${stack.baseUrl}/api/v1/surfaces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: uploaded.body.id, dataset: { id: dataset.body.id, split: 'both' }, grid: { x: { min: -1, max: 1, num: 3 } } }),
    });
    expect(submitted.status).toBe(202);
    const { id } = (await submitted.json()) as { id: string };
    await until(`surface ${id} to complete`, async () => {
      const record = (await (await fetch(`${stack.baseUrl}/api/v1/surfaces/${id}`)).json()) as SurfaceRecord;
      if (record.status !== 'completed') expect(['queued', 'running']).toContain(record.status);
      return record.status === 'completed';
    }, { intervalMs: 100 });
    const result = (await (await fetch(`${stack.baseUrl}/api/v1/surfaces/${id}/result`)).json()) as SurfaceResult;
    const expected = x.reduce((sum, [a, b], i) => sum + (1.5 * a! - 0.5 * b! + 0.25 - y[i]![0]!) ** 2, 0) / x.length;
    expect(result.accuracy).toBeNull();
    expect(result.provenance.loss).toBe('mse');
    expect(result.provenance.dataset.samples).toBe(50);
    expect(result.loss[0]![1]).toBeCloseTo(expected, 5);
  });

  it('rejects a dataset whose x and y disagree, naming the file, and stores nothing', async () => {
    const before = ((await (await fetch(`${stack.baseUrl}/api/v1/datasets`)).json()) as { items: unknown[] }).items.length;
    const { status, body } = await uploadDataset('broken', { 'broken.json': JSON.stringify({ x: [[1, 2], [3, 4]], y: [0] }) });
    expect(status).toBe(400);
    expect(body.field).toMatch(/broken\.json|y/);
    expect(body.message).toMatch(/sample|length|y/i);
    const after = ((await (await fetch(`${stack.baseUrl}/api/v1/datasets`)).json()) as { items: unknown[] }).items.length;
    expect(after).toBe(before);
  });
});

describe('service', () => {
  it('publishes its OpenAPI description', async () => {
    const doc = (await (await fetch(`${stack.baseUrl}/docs/json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/v1/surfaces', '/api/v1/surfaces/{id}', '/api/v1/surfaces/{id}/events', '/api/v1/surfaces/{id}/result', '/api/v1/models', '/api/v1/datasets', '/health']),
    );
  });

  it('reports Redis, live workers and their engine backend on /health', async () => {
    const health = (await (await fetch(`${stack.baseUrl}/health`)).json()) as { status: string; redis: string; workers: number; engines: { name: string; backend: string }[] };
    expect(health).toMatchObject({ status: 'ok', redis: 'up', workers: 1 });
    expect(health.engines[0]).toMatchObject({ name: 'tfjs', backend: expect.stringMatching(/^(wasm|cpu|tensorflow)$/) });
  });

  it('lists the demo models with their parameter model', async () => {
    const model = (await (await fetch(`${stack.baseUrl}/api/v1/models/demo-cnn-skip`)).json()) as { parameters: { role: string; shape: number[]; filterAxes: number[] }[] };
    const kernels = model.parameters.filter((p) => p.role === 'kernel');
    expect(kernels.length).toBeGreaterThan(0);
    for (const kernel of kernels) expect(kernel.filterAxes).toEqual([kernel.shape.length - 1]);
    expect(model.parameters.some((p) => p.role === 'bn_moving_variance')).toBe(true);
  });
});
