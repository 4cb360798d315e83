import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelFormat } from '../contract/formats/index.ts';
import type { ModelRecord } from '../contract/models.ts';
import type { SurfaceResult } from '../contract/surface.ts';
import { readOnnxModel } from '../contract/onnx-model.ts';
import type { TrainingRecord } from '../contract/training.ts';
import { builtinDataset } from '../worker/datasets/builtin.ts';
import { evaluationData } from '../worker/datasets/select.ts';
import { torchMlp } from '../worker/engine/onnx/torch-like-models.ts';
import { mlpFiles, uploadModel } from './helpers/models.ts';
import { startStack, type Stack } from './helpers/stack.ts';
import { until } from './helpers/until.ts';

/**
 * Training a stored model further (request.model) through the real API, queue and worker: an ONNX
 * upload (as torch.onnx.export lays out an MLP) and a tfjs Layers upload start from their stored
 * weights and come back in their own format with the trained θ.
 */
let stack: Stack;
const HIDDEN = 6;
const SAMPLES = 200;


/**
 * The mean cross-entropy (from the logits, as the engines compute it) of the MLP above in float64,
 * with θ in the upload's parameter order (fc1.weight, fc1.bias, fc2.weight, fc2.bias).
 */
function meanCrossEntropy(theta: Float64Array, x: Float32Array, y: Int32Array): number {
  const w1 = 0;
  const b1 = w1 + 2 * HIDDEN;
  const w2 = b1 + HIDDEN;
  const b2 = w2 + 2 * HIDDEN;
  let sum = 0;
  for (let n = 0; n < y.length; n++) {
    const hidden = Array.from({ length: HIDDEN }, (_, j) => Math.tanh(theta[w1 + 2 * j]! * x[2 * n]! + theta[w1 + 2 * j + 1]! * x[2 * n + 1]! + theta[b1 + j]!));
    const logits = [0, 1].map((k) => hidden.reduce((s, h, j) => s + theta[w2 + HIDDEN * k + j]! * h, theta[b2 + k]!));
    const top = Math.max(...logits);
    sum += top + Math.log(logits.reduce((s, z) => s + Math.exp(z - top), 0)) - logits[y[n]!]!;
  }
  return sum / y.length;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const bytesOf = (values: Float32Array) => new Uint8Array(values.buffer, values.byteOffset, values.byteLength);

async function storedFiles(model: ModelRecord): Promise<Record<string, Uint8Array>> {
  const files: Record<string, Uint8Array> = {};
  for (const [name, hash] of Object.entries(model.files)) files[name] = new Uint8Array(await readFile(join(stack.dataDir, 'blobs', hash.slice(0, 2), hash)));
  return files;
}

async function storedTheta(model: ModelRecord): Promise<Float32Array> {
  return modelFormat(model.format).storedParameters(await storedFiles(model), model.parameters);
}

async function train(body: Record<string, unknown>): Promise<{ record: TrainingRecord; model: ModelRecord }> {
  const submitted = await stack.api<TrainingRecord>('/api/v1/trainings', { method: 'POST', json: body });
  expect(submitted.status, JSON.stringify(submitted.body)).toBe(202);
  const record = await until(`training ${submitted.body.id} to end`, async () => {
    const current = (await stack.api<TrainingRecord>(`/api/v1/trainings/${submitted.body.id}`)).body;
    return ['completed', 'failed', 'cancelled'].includes(current.status) && current;
  }, { intervalMs: 100, timeoutMs: 120_000 });
  expect(record.status, JSON.stringify(record.error)).toBe('completed');
  return { record, model: (await stack.api<ModelRecord>(`/api/v1/models/${record.modelId}`)).body };
}

let onnxUpload: ModelRecord;
let tfjsUpload: ModelRecord;
beforeAll(async () => {
  stack = await startStack({ workers: 1, fixtures: null });
  const onnxReply = await uploadModel(stack.baseUrl, 'torch mlp', { 'model.onnx': torchMlp({ hidden: HIDDEN, activation: 'Tanh', seed: 11 }) });
  expect(onnxReply.status).toBe(201);
  onnxUpload = onnxReply.body as unknown as ModelRecord;
  const tfjsReply = await uploadModel(stack.baseUrl, 'tfjs mlp', await mlpFiles([8], 5));
  expect(tfjsReply.status).toBe(201);
  tfjsUpload = tfjsReply.body as unknown as ModelRecord;
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('training a stored model further', () => {
  it('an ONNX upload: one full-batch SGD step equals θ* − lr·∇L of a float64 finite-difference gradient; the result is the same graph in ONNX with the new θ', async () => {
    const learningRate = 0.5;
    const { record, model } = await train({
      model: onnxUpload.id, dataset: { id: 'moons', samples: SAMPLES }, epochs: 1, batchSize: SAMPLES,
      optimizer: { name: 'sgd', learningRate, momentum: 0, nesterov: false }, seed: 4, checkpointEvery: 1,
    });
    expect(record.request).toMatchObject({ architecture: null, model: { id: onnxUpload.id, name: 'torch mlp', hash: onnxUpload.hash } });
    expect(record.request).toMatchObject({ name: 'torch mlp trained further on moons (seed 4)' });
    expect(model).toMatchObject({ format: 'onnx', source: 'training', dataset: 'moons', parameterCount: onnxUpload.parameterCount });
    expect(model.metadata).toMatchObject({ startedFrom: { id: onnxUpload.id, hash: onnxUpload.hash }, architecture: null });

    const before = await storedTheta(onnxUpload);
    const after = await storedTheta(model);
    // Checkpoint 0 is θ* of the upload, bit for bit; the last one is the registered θ.
    expect(record.checkpoints.map((c) => c.epoch)).toEqual([0, 1]);
    expect(record.checkpoints[0]!.hash).toBe(sha256(bytesOf(before)));
    expect(record.checkpoints[1]!.hash).toBe(sha256(bytesOf(after)));

    // The trained samples (the seeded subset every training and surface takes) and the gradient by
    // central differences of the float64 loss (step 1e-6: truncation ~1e-12, rounding ~1e-10).
    const { x, y } = evaluationData(builtinDataset('moons'), 'train', SAMPLES, 0).data;
    const theta = Float64Array.from(before);
    const step = 1e-6;
    let largest = 0;
    let worst = 0;
    for (let i = 0; i < theta.length; i++) {
      const saved = theta[i]!;
      theta[i] = saved + step;
      const up = meanCrossEntropy(theta, x, y as Int32Array);
      theta[i] = saved - step;
      const down = meanCrossEntropy(theta, x, y as Int32Array);
      theta[i] = saved;
      const update = -learningRate * ((up - down) / (2 * step));
      largest = Math.max(largest, Math.abs(update));
      worst = Math.max(worst, Math.abs(after[i]! - before[i]! - update));
    }
    // float32 θ (ulp ~1e-7 here) and a float32 gradient (~1e-7 relative); a wrong loss, sign, rate or sample set is off by > 1e-2.
    expect(largest).toBeGreaterThan(1e-2);
    expect(worst).toBeLessThan(1e-5 * largest + 1e-6);

    // Same graph: only the initializers' values changed.
    const graphOf = async (m: ModelRecord) => readOnnxModel((await storedFiles(m))['model.onnx']!).model.graph!;
    const [original, trained] = [await graphOf(onnxUpload), await graphOf(model)];
    expect(trained.node.map((n) => [n.opType, n.input, n.output])).toEqual(original.node.map((n) => [n.opType, n.input, n.output]));
    expect(trained.initializer.map((t) => [t.name, t.dims])).toEqual(original.initializer.map((t) => [t.name, t.dims]));

    // The trained model is a model like any other: a surface evaluates it.
    const surface = await stack.api<{ id: string }>('/api/v1/surfaces', {
      method: 'POST', json: { model: model.id, dataset: { id: 'moons', samples: SAMPLES }, grid: { x: { min: -1, max: 1, num: 3 } } },
    });
    expect(surface.status).toBe(202);
  }, 180_000);

  it('an ONNX upload trained further has a trajectory: PCA directions from its checkpoints, ending at its θ*', async () => {
    const { record, model } = await train({
      model: onnxUpload.id, dataset: { id: 'moons', samples: SAMPLES }, epochs: 3, batchSize: 50,
      optimizer: { name: 'sgd', learningRate: 0.2 }, seed: 1, checkpointEvery: 1,
    });
    const submitted = await stack.api<{ id: string }>('/api/v1/surfaces', {
      method: 'POST',
      json: { model: model.id, dataset: { id: 'moons', samples: SAMPLES }, directions: { kind: 'pca', training: record.id }, grid: { x: { min: -1, max: 1, num: 3 }, y: { min: -1, max: 1, num: 3 } } },
    });
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(202);
    await until(`surface ${submitted.body.id} to complete`, async () => {
      const current = (await stack.api<{ status: string }>(`/api/v1/surfaces/${submitted.body.id}`)).body;
      expect(current.status).not.toBe('failed');
      return current.status === 'completed';
    }, { intervalMs: 100 });
    const result = (await stack.api<SurfaceResult>(`/api/v1/surfaces/${submitted.body.id}/result`)).body;
    expect(result.provenance.directions.pca).toMatchObject({ source: `training ${record.id}`, epochs: [0, 1, 2, 3] });
    const { epochs, cos } = result.trajectory!;
    expect(epochs).toEqual([0, 1, 2, 3]);
    // The path ends at θ* (the plane's origin) and starts away from it: the weights moved.
    expect(cos.at(-1)!.map(Math.abs).every((c) => c < 1e-6)).toBe(true);
    expect(Math.hypot(...cos[0]!)).toBeGreaterThan(1e-3);
  }, 180_000);

  it('a tfjs Layers upload trains on both engines from its stored weights, to the same θ within rounding, and stays tfjs Layers', async () => {
    const body = {
      model: tfjsUpload.id, dataset: { id: 'moons', samples: SAMPLES }, epochs: 2, batchSize: 50,
      optimizer: { name: 'sgd', learningRate: 0.1 }, seed: 2, checkpointEvery: 2,
    };
    const onnxRun = await train({ ...body, engine: 'onnxruntime' });
    const tfjsRun = await train({ ...body, engine: 'tfjs' });
    expect(onnxRun.record.backend).toMatch(/^onnxruntime-node .* autodiff/);
    expect(tfjsRun.record.backend).toMatch(/^tfjs /);
    for (const { record, model } of [onnxRun, tfjsRun]) {
      expect(model).toMatchObject({ format: 'tfjs-layers', source: 'training', layers: tfjsUpload.layers });
      // weights.bin is θ in parameter order, so the upload's weights file is checkpoint 0.
      expect(record.checkpoints[0]!.hash).toBe(tfjsUpload.files['weights.bin']);
      expect(record.checkpoints.at(-1)!.hash).toBe(model.files['weights.bin']);
    }
    const before = await storedTheta(tfjsUpload);
    const [a, b] = [await storedTheta(onnxRun.model), await storedTheta(tfjsRun.model)];
    let difference = 0;
    let update = 0;
    for (let i = 0; i < a.length; i++) {
      difference += (a[i]! - b[i]!) ** 2;
      update += (b[i]! - before[i]!) ** 2;
    }
    // Same start, batches and update rule; only the kernels' summation orders differ. Measured:
    // 1.3e-7 of the update; a wrong start, batch order or written θ is off by more than 1e-2.
    expect(Math.sqrt(update)).toBeGreaterThan(1e-2);
    expect(Math.sqrt(difference / update)).toBeLessThan(1e-5);
  }, 180_000);

  it('answers 4xx naming the field for a bad start, and keeps a model in use from deletion', async () => {
    const base = { dataset: { id: 'moons' }, epochs: 1 };
    const cases: [Record<string, unknown>, number, string][] = [
      [{ ...base, model: onnxUpload.id, architecture: { id: 'mlp' } }, 400, 'model'],
      [base, 400, 'architecture'],
      [{ ...base, model: 'no-such-model' }, 400, 'model'],
      [{ ...base, model: onnxUpload.id, engine: 'tfjs' }, 400, 'engine'],
      [{ ...base, model: onnxUpload.id, dataset: { id: 'mnist' } }, 400, 'dataset.id'],
    ];
    for (const [body, status, field] of cases) {
      const reply = await stack.api<{ field?: string }>('/api/v1/trainings', { method: 'POST', json: body });
      expect([reply.status, reply.body.field], JSON.stringify(body)).toEqual([status, field]);
    }
    const long = await stack.api<TrainingRecord>('/api/v1/trainings', {
      method: 'POST', json: { model: tfjsUpload.id, dataset: { id: 'moons' }, epochs: 500, batchSize: 1, checkpointEvery: 0 },
    });
    expect(long.status).toBe(202);
    const refused = await stack.api<{ code: string }>(`/api/v1/models/${tfjsUpload.id}`, { method: 'DELETE' });
    expect([refused.status, refused.body.code]).toEqual([409, 'MODEL_IN_USE']);
    expect((await stack.api(`/api/v1/trainings/${long.body.id}`, { method: 'DELETE' })).status).toBeLessThan(300);
  }, 60_000);
});
