import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SurfaceRecord } from '../contract/index.ts';
import { encodeModel, torchLikeModel, torchLikeParameters } from '../worker/engine/onnx/torch-like-models.ts';
import { startStack, type Stack } from './helpers/stack.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ workers: 1, fixtures: null });
});
afterAll(async () => {
  await stack?.stop();
});

describe('ONNX models onnxruntime cannot run', () => {
  it('a surface reports the onnx engine’s own error, not the tfjs fallback’s', async () => {
    // A rank-1 Conv weight: the graph parses, onnxruntime refuses it.
    const parameters = torchLikeParameters().map((p) => (p.name === 'conv.weight' ? { ...p, dims: [p.values.length] } : p));
    const form = new FormData();
    form.set('name', 'rank-1 conv');
    form.append('file', new Blob([Buffer.from(encodeModel(torchLikeModel(parameters)))]), 'model.onnx');
    const upload = await fetch(`${stack.baseUrl}/api/v1/models`, { method: 'POST', body: form });
    const model = (await upload.json()) as { id: string; message?: string };
    // Accepted at upload until uploads open an onnxruntime session (issue 13, defect 6).
    expect(upload.status, model.message).toBe(201);
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
    let record: SurfaceRecord;
    for (;;) {
      record = (await stack.api<SurfaceRecord>(`/api/v1/surfaces/${body.id}`)).body;
      if (record.status !== 'queued' && record.status !== 'running') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(record.status).toBe('failed');
    expect(record.error?.message).not.toMatch(/not a tfjs Layers model/);
    expect(record.error?.message).toMatch(/conv|Conv|onnx/);
  }, 120_000);
});
