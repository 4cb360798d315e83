import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SurfaceRecord } from '../contract/index.ts';
import { encodeModel, torchLikeModel, torchLikeParameters } from '../worker/engine/onnx/torch-like-models.ts';
import { startStack, type Stack } from './helpers/stack.ts';
import { until } from './helpers/until.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ workers: 1, fixtures: null });
});
afterAll(async () => {
  await stack?.stop();
});

/** A rank-1 Conv weight: the graph parses, onnxruntime refuses it. */
const rank1Conv = () => encodeModel(torchLikeModel(torchLikeParameters().map((p) => (p.name === 'conv.weight' ? { ...p, dims: [p.values.length] } : p))));

/** fc2 (Gemm, transB=0) takes fc1's 5 features but its weight says 7. */
const clashingGemm = () =>
  encodeModel(
    torchLikeModel(torchLikeParameters().map((p) => (p.name === 'fc2.weight' ? { ...p, dims: [7, 6], values: new Float32Array(42).fill(0.1) } : p))),
  );

async function uploadOnnx(fileName: string, bytes: Uint8Array) {
  const form = new FormData();
  form.set('name', fileName);
  form.append('file', new Blob([Buffer.from(bytes)]), fileName);
  const response = await fetch(`${stack.baseUrl}/api/v1/models`, { method: 'POST', body: form });
  return { status: response.status, body: (await response.json()) as { id: string; code?: string; field?: string; message?: string } };
}

describe('ONNX models onnxruntime cannot run', () => {
  it('are refused at upload with a 400 naming the file and carrying onnxruntime’s own message', async () => {
    const conv = await uploadOnnx('rank1-conv.onnx', rank1Conv());
    expect(conv.status, conv.body.message).toBe(400);
    expect(conv.body).toMatchObject({ code: 'INVALID_INPUT', field: 'rank1-conv.onnx' });
    expect(conv.body.message).toMatch(/onnxruntime cannot load this model: Node \(\/bn\/BatchNormalization\).*ShapeInferenceError/);
    const gemm = await uploadOnnx('gemm.onnx', clashingGemm());
    expect(gemm.status, gemm.body.message).toBe(400);
    expect(gemm.body).toMatchObject({ code: 'INVALID_INPUT', field: 'gemm.onnx' });
    expect(gemm.body.message).toMatch(/onnxruntime cannot load this model: .*fc2/);
    // The untouched graph opens.
    expect((await uploadOnnx('fine.onnx', encodeModel(torchLikeModel()))).status).toBe(201);
  }, 60_000);

  it('a surface reports the onnx engine’s own error, not the tfjs fallback’s', async () => {
    // Stored without the upload's session check (as a model stored before it existed).
    const model = await stack.app.services.models.register({ name: 'rank-1 conv', format: 'onnx', source: 'upload', files: { 'model.onnx': rank1Conv() }, tenant: 'local' });
    const x = Array.from({ length: 8 }, (_, i) => Array.from({ length: 8 }, () => Array.from({ length: 8 }, () => [i / 8, 0.5, 0.25])));
    const dataForm = new FormData();
    dataForm.set('name', 'images');
    dataForm.append('file', new Blob([JSON.stringify({ x, y: x.map((_, i) => i % 3) })]), 'images.json');
    const dataset = (await (await fetch(`${stack.baseUrl}/api/v1/datasets`, { method: 'POST', body: dataForm })).json()) as { id: string };
    const { status, body } = await stack.api<{ id: string }>('/api/v1/surfaces', {
      method: 'POST',
      json: { model: model.id, dataset: { id: dataset.id, split: 'both' }, grid: { x: { min: -1, max: 1, num: 2 } } },
    });
    expect(status).toBe(202);
    const record = await until(`surface ${body.id} to end`, async () => {
      const current = (await stack.api<SurfaceRecord>(`/api/v1/surfaces/${body.id}`)).body;
      return current.status !== 'queued' && current.status !== 'running' && current;
    });
    expect(record.status).toBe('failed');
    expect(record.error?.message).not.toMatch(/not a tfjs Layers model/);
    expect(record.error?.message).toMatch(/conv|Conv|onnx/);
  }, 120_000);
});
