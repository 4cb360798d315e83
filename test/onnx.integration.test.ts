import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelRecord, SurfaceRecord, SurfaceResult } from '../contract/index.ts';
import { encodeModel, torchLikeModel } from '../worker/engine/onnx/torch-like-models.ts';
import { uniformStream } from '../worker/numeric/rng.ts';
import { startStack, type Stack } from './helpers/stack.ts';
import { until } from './helpers/until.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ workers: 1 });
});
afterAll(async () => {
  await stack?.stop();
});

async function upload(path: string, name: string, files: Record<string, Uint8Array | string>) {
  const form = new FormData();
  form.set('name', name);
  for (const [fileName, content] of Object.entries(files)) form.append('file', new Blob([typeof content === 'string' ? content : Buffer.from(content)]), fileName);
  const response = await fetch(`${stack.baseUrl}${path}`, { method: 'POST', body: form });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function surface(request: unknown): Promise<SurfaceResult> {
  const response = await fetch(`${stack.baseUrl}/api/v1/surfaces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) });
  expect(response.status).toBe(202);
  const { id } = (await response.json()) as { id: string };
  await until(`surface ${id} to complete`, async () => {
    const record = (await (await fetch(`${stack.baseUrl}/api/v1/surfaces/${id}`)).json()) as SurfaceRecord;
    if (record.status !== 'completed' && record.status !== 'queued' && record.status !== 'running') throw new Error(`surface ${record.status}: ${record.error?.message}`);
    return record.status === 'completed';
  }, { intervalMs: 100 });
  return (await (await fetch(`${stack.baseUrl}/api/v1/surfaces/${id}/result`)).json()) as SurfaceResult;
}

describe('ONNX models (PyTorch layout) end to end', () => {
  it('takes an upload, derives each parameter role from the graph, and maps a surface with onnxruntime', async () => {
    const model = await upload('/api/v1/models', 'torch-like', { 'model.onnx': encodeModel(torchLikeModel()) });
    expect(model.status).toBe(201);
    const record = model.body as unknown as ModelRecord;
    expect(record.format).toBe('onnx');
    expect(record.inputShape).toEqual([3, 8, 8]);
    const byName = Object.fromEntries(((await (await fetch(`${stack.baseUrl}/api/v1/models/${record.id}`)).json()) as ModelRecord).parameters.map((p) => [p.name, p]));
    expect(byName['conv.weight']).toMatchObject({ role: 'kernel', filterAxes: [0] });
    expect(byName['fc1.weight']).toMatchObject({ role: 'kernel', filterAxes: [0] });
    expect(byName['fc2.weight']).toMatchObject({ role: 'kernel', filterAxes: [1] });
    expect(byName['head.weight']).toMatchObject({ role: 'kernel', filterAxes: [1] });
    expect(byName['bn.running_var']).toMatchObject({ role: 'bn_moving_variance', trainable: false });

    // NHWC images, as every dataset stores them; the engine transposes them for the NCHW graph.
    const uniform = uniformStream(11);
    const x = Array.from({ length: 40 }, () => Array.from({ length: 8 }, () => Array.from({ length: 8 }, () => [uniform(), uniform(), uniform()])));
    const y = x.map((_, i) => i % 3);
    const dataset = await upload('/api/v1/datasets', 'tiny images', { 'tiny.json': JSON.stringify({ x, y }) });
    expect(dataset.status).toBe(201);

    const result = await surface({ model: record.id, engine: 'onnx', dataset: { id: dataset.body.id, split: 'both' }, grid: { x: { min: -1, max: 1, num: 3 }, y: { min: -1, max: 1, num: 2 } } });
    expect(result.provenance.engine).toMatchObject({ name: 'onnx' });
    expect(result.loss.flat().every((v) => typeof v === 'number' && v > 0)).toBe(true);
  });

  it('gives the tfjs engine’s surface on the demo CNN, to 1e-5 relative', async () => {
    const request = { model: 'demo-cnn-skip', dataset: { id: 'mnist', samples: 200 }, grid: { x: { min: -0.5, max: 0.5, num: 3 }, y: { min: -0.5, max: 0.5, num: 2 } } };
    const [tfjs, onnx] = [await surface({ ...request, engine: 'tfjs' }), await surface({ ...request, engine: 'onnx' })];
    expect(onnx.provenance.engine).toMatchObject({ name: 'onnx' });
    tfjs.loss.flat().forEach((value, k) => {
      const other = onnx.loss.flat()[k]!;
      expect(Math.abs(other - value!) / Math.abs(value!)).toBeLessThan(1e-5);
    });
    expect(onnx.accuracy).toEqual(tfjs.accuracy);
  });

  it('evaluates with onnxruntime by default and falls back to tfjs for a layer the exporter does not cover', async () => {
    const tf = await import('../worker/engine/tfjs/tf.ts');
    const { saveLayersModel } = await import('../worker/engine/tfjs/save-model.ts');
    const net = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [2], units: 8, activation: 'tanh', kernelInitializer: tf.initializers.glorotNormal({ seed: 3 }) }),
        tf.layers.layerNormalization(),
        tf.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: tf.initializers.glorotNormal({ seed: 4 }) }),
      ],
    });
    const plainNet = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 2, activation: 'softmax', kernelInitializer: tf.initializers.glorotNormal({ seed: 5 }) })] });
    const withNorm = await upload('/api/v1/models', 'layer-norm mlp', (await saveLayersModel(net)) as unknown as Record<string, Uint8Array>);
    const plain = await upload('/api/v1/models', 'plain mlp', (await saveLayersModel(plainNet)) as unknown as Record<string, Uint8Array>);
    const grid = { x: { min: -1, max: 1, num: 3 } };
    const dataset = { id: 'moons', samples: 100 };
    expect((await surface({ model: plain.body.id, dataset, grid })).provenance.engine).toMatchObject({ name: 'onnx' });
    expect((await surface({ model: withNorm.body.id, dataset, grid })).provenance.engine).toMatchObject({ name: 'tfjs' });
  });

  it('rejects bytes that are not an ONNX model, naming the file, and stores nothing', async () => {
    const before = ((await (await fetch(`${stack.baseUrl}/api/v1/models`)).json()) as { items: unknown[] }).items.length;
    const { status, body } = await upload('/api/v1/models', 'garbage', { 'model.onnx': new Uint8Array([8, 255, 255, 255, 255, 1, 2, 3]) });
    expect(status).toBe(400);
    expect(body.field).toBe('model.onnx');
    const after = ((await (await fetch(`${stack.baseUrl}/api/v1/models`)).json()) as { items: unknown[] }).items.length;
    expect(after).toBe(before);
  });
});
