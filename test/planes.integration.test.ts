import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelRecord, SurfaceRecord, SurfaceResult } from '../contract/index.ts';
import type { TrainingRecord } from '../contract/training.ts';
import { readH5 } from '../contract/exports/h5.ts';
import { npy } from '../contract/exports/npy.ts';
import { modelArtifact } from '../worker/artifacts.ts';
import { builtinDataset } from '../worker/datasets/builtin.ts';
import { evaluationData } from '../worker/datasets/select.ts';
import { createEvaluator } from '../worker/engine/registry.ts';
import * as tf from '../worker/engine/tfjs/tf.ts';
import { saveLayersModel } from '../worker/engine/tfjs/save-model.ts';
import { mlpFiles, uploadModel } from './helpers/models.ts';
import { startStack, type Stack } from './helpers/stack.ts';
import { until } from './helpers/until.ts';

/** Directions of other kinds than random (issue 12, items 4–6) through the real API, queue and worker processes. */
let stack: Stack;
const files: Record<string, Record<string, Uint8Array>> = {};
const ids: Record<string, string> = {};
const SAMPLES = 150;

async function upload(name: string, modelFiles: Record<string, Uint8Array>): Promise<void> {
  const { status, body } = await uploadModel(stack.baseUrl, name, modelFiles);
  expect(status).toBe(201);
  files[name] = modelFiles;
  ids[name] = body.id as string;
}

async function waitFor(id: string): Promise<SurfaceRecord> {
  return until(`surface ${id} to end`, async () => {
    const { body } = await stack.api<SurfaceRecord>(`/api/v1/surfaces/${id}`);
    return ['completed', 'failed', 'cancelled'].includes(body.status) && body;
  }, { intervalMs: 250 });
}

async function finished(id: string): Promise<SurfaceResult> {
  const record = await waitFor(id);
  expect(record.error).toBeNull();
  expect(record.status).toBe('completed');
  return (await stack.api<SurfaceResult>(`/api/v1/surfaces/${id}/result`)).body;
}

async function submit(body: unknown): Promise<SurfaceResult> {
  const submitted = await stack.api<{ id: string }>('/api/v1/surfaces', { method: 'POST', json: body });
  expect(submitted.status, JSON.stringify(submitted.body)).toBe(202);
  return finished(submitted.body.id);
}

/** A model's own loss and accuracy by a plain evaluation at its stored weights (no directions, no queue), optionally at other parameters. */
async function plainEvaluation(name: string, split: 'train' | 'test', samples: number, parameters?: Float32Array) {
  const evaluator = await createEvaluator('onnx');
  try {
    await evaluator.load(modelArtifact('tfjs-layers', files[name]!, name));
    await evaluator.setData(evaluationData(builtinDataset('moons'), split, samples, 0).data);
    if (parameters) await evaluator.setParameters(parameters);
    return await evaluator.evaluate({ loss: 'sparse_categorical_crossentropy', batchSize: 128 });
  } finally {
    evaluator.dispose();
  }
}

const relative = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

async function modelRecord(name: string): Promise<ModelRecord> {
  return (await stack.api<ModelRecord>(`/api/v1/models/${ids[name]}`)).body;
}

function weights(name: string): Float32Array {
  const bytes = files[name]!['weights.bin']!;
  return new Float32Array(bytes.slice().buffer);
}

beforeAll(async () => {
  stack = await startStack({ workers: 1, fixtures: null });
  await upload('a', await mlpFiles([8], 1));
  await upload('b', await mlpFiles([8], 2));
  await upload('c', await mlpFiles([8], 3));
  await upload('wide', await mlpFiles([9], 4));
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('interpolation between two models', () => {
  it('is θ1 at α = 0 and θ2 at α = 1 on train and test side by side, over the default α range, and exports both splits to h5', async () => {
    const result = await submit({
      model: ids.a,
      dataset: { id: 'moons', samples: SAMPLES },
      directions: { kind: 'interpolation', to: ids.b },
      grid: {},
      splits: ['train', 'test'],
    });
    expect(result.axes.x).toHaveLength(41);
    expect(result.axes.x[0]).toBe(-0.5);
    expect(result.axes.x[40]).toBe(1.5);
    expect(result.axes.x[10]).toBe(0);
    expect(result.axes.x[30]).toBe(1);
    expect(result.shape).toEqual([1, 41]);
    expect(result.splits!.map((s) => s.split)).toEqual(['train', 'test']);
    expect(result.loss[0]).toEqual(result.splits![0]!.loss);
    expect(result.provenance.directions).toMatchObject({ kind: 'interpolation', normalization: 'none', models: [{ axis: 'x', id: ids.b }] });
    expect(result.provenance.splits).toEqual([{ split: 'train', samples: SAMPLES }, { split: 'test', samples: SAMPLES }]);
    for (const [k, split] of (['train', 'test'] as const).entries()) {
      const series = result.splits![k]!;
      for (const [ix, name] of [[10, 'a'], [30, 'b']] as const) {
        const own = await plainEvaluation(name, split, SAMPLES);
        expect(relative(series.loss[ix]!, own.loss), `${split} loss at α = ${result.axes.x[ix]}`).toBeLessThan(1e-5);
        expect(series.accuracy![ix]).toBeCloseTo(own.accuracy!, 10);
      }
    }
    expect(result.splits![0]!.loss).not.toEqual(result.splits![1]!.loss);

    const h5 = await fetch(`${stack.baseUrl}/api/v1/surfaces/${result.id}/export.h5`);
    expect(h5.status).toBe(200);
    const datasets = await readH5(new Uint8Array(await h5.arrayBuffer()), (file) =>
      Object.fromEntries(file.keys().map((name) => [name, Array.from((file.get(name) as unknown as { value: Float64Array }).value)])),
    );
    expect(Object.keys(datasets!).sort()).toEqual(['test_acc', 'test_loss', 'test_loss_std_error', 'train_acc', 'train_loss', 'train_loss_std_error', 'xcoordinates']);
    expect(datasets!.test_loss_std_error).toEqual(result.splits![1]!.lossStdError);
    expect(datasets!.train_loss).toEqual(result.splits![0]!.loss);
    expect(datasets!.test_loss).toEqual(result.splits![1]!.loss);
    expect(datasets!.test_acc).toEqual(result.splits![1]!.accuracy!.map((a) => 100 * a!));
  });

  it('refuses models of another parameter structure with 400 STRUCTURE_MISMATCH naming the first tensor and both shapes', async () => {
    const { status, body } = await stack.api<{ code: string; field: string; message: string }>('/api/v1/surfaces', {
      method: 'POST',
      json: { model: ids.a, dataset: { id: 'moons', samples: SAMPLES }, directions: { kind: 'interpolation', to: ids.wide }, grid: {} },
    });
    expect(status).toBe(400);
    expect(body.code).toBe('STRUCTURE_MISMATCH');
    expect(body.field).toBe('directions.to');
    const a = await modelRecord('a');
    const wide = await modelRecord('wide');
    expect(body.message).toContain(`tensor 0 is "${a.parameters[0]!.name}" [2, 8] in "${ids.a}" and "${wide.parameters[0]!.name}" [2, 9] in "${ids.wide}"`);
  });
});

describe('the plane through three models', () => {
  it('is θA at (0, 0), θB at (1, 0) and θC at (0, 1)', async () => {
    const result = await submit({
      model: ids.a,
      dataset: { id: 'moons', split: 'test', samples: SAMPLES },
      directions: { kind: 'models', x: ids.b, y: ids.c },
      grid: { x: { min: 0, max: 1, num: 2 }, y: { min: 0, max: 1, num: 2 } },
    });
    for (const [iy, ix, name] of [[0, 0, 'a'], [0, 1, 'b'], [1, 0, 'c']] as const) {
      const own = await plainEvaluation(name, 'test', SAMPLES);
      expect(relative(result.loss[iy]![ix]!, own.loss), `model ${name}`).toBeLessThan(1e-5);
    }
    expect(result.provenance.directions.models).toEqual([
      { axis: 'x', id: ids.b, hash: expect.any(String) },
      { axis: 'y', id: ids.c, hash: expect.any(String) },
    ]);
  });

  it('needs a 2D grid, and models of the same structure', async () => {
    const line = await stack.api<{ field: string }>('/api/v1/surfaces', {
      method: 'POST',
      json: { model: ids.a, dataset: { id: 'moons' }, directions: { kind: 'models', x: ids.b, y: ids.c }, grid: { x: { min: 0, max: 1, num: 2 } } },
    });
    expect(line).toMatchObject({ status: 400, body: { code: 'DIMENSIONS_MISMATCH', field: 'grid.y' } });
    const plane = await stack.api<{ field: string }>('/api/v1/surfaces', {
      method: 'POST',
      json: { model: ids.a, dataset: { id: 'moons' }, directions: { kind: 'models', x: ids.b, y: ids.wide }, grid: { x: { min: 0, max: 1, num: 2 }, y: { min: 0, max: 1, num: 2 } } },
    });
    expect(plane).toMatchObject({ status: 400, body: { code: 'STRUCTURE_MISMATCH', field: 'directions.y' } });
  });
});

/** δ and η of a finished surface (GET /directions: float32 LE, δ then η). */
async function directionsOf(id: string, parameterCount: number): Promise<[Float32Array, Float32Array]> {
  const bytes = new Uint8Array(await (await fetch(`${stack.baseUrl}/api/v1/surfaces/${id}/directions`)).arrayBuffer());
  const all = new Float32Array(bytes.slice().buffer);
  return [all.subarray(0, parameterCount), all.subarray(parameterCount)];
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, x, i) => s + x * b[i]!, 0);

describe('PCA directions of a trajectory', () => {
  it("from a finished training's checkpoints: unit orthogonal axes without biases, explained variance, the path ending at θ*", async () => {
    const training = await stack.api<TrainingRecord>('/api/v1/trainings', {
      method: 'POST',
      json: { architecture: { id: 'mlp', width: 0.5 }, dataset: { id: 'moons' }, epochs: 3, optimizer: { name: 'adam', learningRate: 0.01 }, seed: 1, checkpointEvery: 1 },
    });
    expect(training.status).toBe(202);
    const record = await until(`training ${training.body.id} to end`, async () => {
      const current = (await stack.api<TrainingRecord>(`/api/v1/trainings/${training.body.id}`)).body;
      return ['completed', 'failed', 'cancelled'].includes(current.status) && current;
    }, { intervalMs: 500 });
    expect(record.status).toBe('completed');
    const result = await submit({
      model: record.modelId,
      dataset: { id: 'moons', samples: 100 },
      directions: { kind: 'pca', training: record.id },
      grid: { x: { min: -1, max: 1, num: 3 }, y: { min: -1, max: 1, num: 3 } },
    });
    const trajectory = result.trajectory!;
    expect(trajectory.epochs).toEqual([0, 1, 2, 3]);
    expect(trajectory.cos.at(-1)![0]).toBeCloseTo(0, 6);
    expect(trajectory.cos.at(-1)![1]).toBeCloseTo(0, 6);
    trajectory.cos.forEach(([a, b], i) => {
      expect(trajectory.leastSquares[i]![0]).toBeCloseTo(a, 4);
      expect(trajectory.leastSquares[i]![1]).toBeCloseTo(b, 4);
    });
    const pca = result.provenance.directions.pca!;
    expect(pca).toMatchObject({ source: `training ${record.id}`, epochs: [0, 1, 2, 3] });
    expect(pca.explainedVarianceRatio[0]!).toBeGreaterThanOrEqual(pca.explainedVarianceRatio[1]!);
    expect(pca.explainedVarianceRatio[0]! + pca.explainedVarianceRatio[1]!).toBeLessThanOrEqual(1 + 1e-9);
    const model = (await stack.api<ModelRecord>(`/api/v1/models/${record.modelId}`)).body;
    const [dx, dy] = await directionsOf(result.id, model.parameterCount);
    expect(dot(dx, dx)).toBeCloseTo(1, 5);
    expect(dot(dy, dy)).toBeCloseTo(1, 5);
    expect(dot(dx, dy)).toBeCloseTo(0, 5);
    for (const p of model.parameters.filter((q) => q.shape.length <= 1)) expect(dx.subarray(p.offset, p.offset + p.size).every((v) => v === 0)).toBe(true);
  }, 180_000);

  it('from an uploaded npz of <epoch>/<parameter>.npy: the path is each θ_i − θ* projected onto δ and η', async () => {
    await upload('d', await mlpFiles([8], 5));
    const parameters = (await modelRecord('a')).parameters;
    const trajectory = [['b', 0], ['c', 1], ['d', 2], ['a', 3]] as const;
    const members: Record<string, Uint8Array> = {};
    for (const [name, epoch] of trajectory) {
      const theta = weights(name);
      for (const p of parameters) members[`${epoch}/${p.name}.npy`] = npy(theta.slice(p.offset, p.offset + p.size), p.shape);
    }
    const form = new FormData();
    form.set('request', JSON.stringify({ model: ids.a, dataset: { id: 'moons', samples: 100 }, directions: { kind: 'pca' }, grid: { x: { min: -1, max: 1, num: 2 }, y: { min: -1, max: 1, num: 2 } } }));
    form.set('checkpoints', new Blob([Buffer.from(zipSync(members))]), 'trajectory.npz');
    const response = await fetch(`${stack.baseUrl}/api/v1/surfaces/with-checkpoints`, { method: 'POST', body: form });
    expect(response.status).toBe(202);
    const result = await finished(((await response.json()) as { id: string }).id);
    expect(result.trajectory!.epochs).toEqual([0, 1, 2, 3]);
    expect(result.provenance.directions.pca!.source).toMatch(/^trajectory\.npz \(sha256 [0-9a-f]{64}\)$/);
    const [dx, dy] = await directionsOf(result.id, weights('a').length);
    const final = weights('a');
    for (const [k, [name]] of trajectory.entries()) {
      // θ_i − θ* over the kernels only (ignore biasbn), computed here from the uploaded weights.
      const d = new Float32Array(final.length);
      for (const p of parameters.filter((q) => q.shape.length >= 2)) for (let i = p.offset; i < p.offset + p.size; i++) d[i] = weights(name)[i]! - final[i]!;
      expect(result.trajectory!.cos[k]![0]).toBeCloseTo(dot(d, dx), 4);
      expect(result.trajectory!.cos[k]![1]).toBeCloseTo(dot(d, dy), 4);
    }

    const broken: Record<string, Uint8Array> = { ...members, [`0/${parameters[0]!.name}.npy`]: npy(new Float32Array(18), [2, 9]) };
    const badForm = new FormData();
    badForm.set('request', form.get('request') as string);
    badForm.set('checkpoints', new Blob([Buffer.from(zipSync(broken))]), 'trajectory.npz');
    const refused = await fetch(`${stack.baseUrl}/api/v1/surfaces/with-checkpoints`, { method: 'POST', body: badForm });
    expect(refused.status).toBe(400);
    const error = (await refused.json()) as { field: string; message: string };
    expect(error.field).toBe('checkpoints');
    expect(error.message).toContain(`epoch 0 does not match the model: tensor 0 "${parameters[0]!.name}" [2,9]: parameter "${parameters[0]!.name}" has shape [2,8]`);
  });
});

describe('BN recalibration', () => {
  /** Dense(6) → BatchNormalization → ReLU → Dense(2, softmax), BN statistics at their initial 0 and 1. */
  async function bnModelFiles(): Promise<Record<string, Uint8Array>> {
    const model = tf.sequential();
    model.add(tf.layers.dense({ inputShape: [2], units: 6, kernelInitializer: tf.initializers.glorotNormal({ seed: 7 }), biasInitializer: tf.initializers.constant({ value: 0.3 }) }));
    model.add(tf.layers.batchNormalization({ epsilon: 1e-3 }));
    model.add(tf.layers.activation({ activation: 'relu' }));
    model.add(tf.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: tf.initializers.glorotNormal({ seed: 8 }) }));
    const saved = await saveLayersModel(model);
    model.dispose();
    return saved as unknown as Record<string, Uint8Array>;
  }

  it('at θ* reproduces the statistics of the pre-BN activations computed here, and changes the surface away from θ*', async () => {
    await upload('bn', await bnModelFiles());
    const CALIBRATION = 200;
    const BATCH = 64;
    const request = {
      model: ids.bn,
      dataset: { id: 'moons', split: 'test', samples: SAMPLES },
      directions: { seed: 4 },
      grid: { x: { min: -1, max: 1, num: 3 } },
      engine: 'onnx',
    };
    const recalibrated = await submit({ ...request, bnRecalibration: { samples: CALIBRATION, batchSize: BATCH } });
    const stored = await submit(request);
    expect(recalibrated.provenance.bnRecalibration).toEqual({ split: 'train', samples: CALIBRATION, sampleSeed: 0, batchSize: BATCH, variance: 'biased', layers: 1 });

    // Pre-BN activations h = x·W + b of the calibration samples; per batch of 64 their mean and
    // biased variance per unit, averaged with weights |b_k| / N (update_bn's cumulative average).
    const parameters = (await modelRecord('bn')).parameters;
    const theta = weights('bn');
    const tensor = (role: string, layerClass: string) => parameters.find((p) => p.role === role && p.layerClass === layerClass)!;
    const kernel = tensor('kernel', 'Dense');
    const bias = tensor('bias', 'Dense');
    const { x, n } = evaluationData(builtinDataset('moons'), 'train', CALIBRATION, 0).data;
    const units = kernel.shape[1]!;
    const activation = (row: number, unit: number) => x[2 * row]! * theta[kernel.offset + unit]! + x[2 * row + 1]! * theta[kernel.offset + units + unit]! + theta[bias.offset + unit]!;
    const mean = new Float64Array(units);
    const variance = new Float64Array(units);
    for (let start = 0; start < n; start += BATCH) {
      const rows = Math.min(BATCH, n - start);
      for (let unit = 0; unit < units; unit++) {
        const values = Array.from({ length: rows }, (_, r) => activation(start + r, unit));
        const m = values.reduce((s, v) => s + v, 0) / rows;
        mean[unit]! += (rows / n) * m;
        variance[unit]! += (rows / n) * (values.reduce((s, v) => s + (v - m) ** 2, 0) / rows);
      }
    }
    const calibrated = theta.slice();
    calibrated.set(mean, tensor('bn_moving_mean', 'BatchNormalization').offset);
    calibrated.set(variance, tensor('bn_moving_variance', 'BatchNormalization').offset);
    const expected = await plainEvaluation('bn', 'test', SAMPLES, calibrated);
    expect(relative(recalibrated.loss[0]![1]!, expected.loss)).toBeLessThan(1e-5);

    expect(relative(stored.loss[0]![1]!, (await plainEvaluation('bn', 'test', SAMPLES)).loss)).toBeLessThan(1e-6);
    for (const ix of [0, 2]) expect(relative(recalibrated.loss[0]![ix]!, stored.loss[0]![ix]!)).toBeGreaterThan(1e-3);
  });

  it('is refused with 400 naming bnRecalibration on the tfjs engine and on a model without BN', async () => {
    const tfjs = await stack.api('/api/v1/surfaces', {
      method: 'POST',
      json: { model: ids.bn, dataset: { id: 'moons' }, grid: { x: { min: -1, max: 1, num: 3 } }, engine: 'tfjs', bnRecalibration: {} },
    });
    expect(tfjs).toMatchObject({ status: 400, body: { code: 'UNSUPPORTED_OPTION', field: 'bnRecalibration' } });
    const plain = await stack.api('/api/v1/surfaces', {
      method: 'POST',
      json: { model: ids.a, dataset: { id: 'moons' }, grid: { x: { min: -1, max: 1, num: 3 } }, bnRecalibration: {} },
    });
    expect(plain).toMatchObject({ status: 400, body: { code: 'NO_BATCH_NORMALIZATION', field: 'bnRecalibration' } });
  });
});

describe('OpenAPI', () => {
  it('describes every direction kind, splits, bnRecalibration and the checkpoints upload', async () => {
    const spec = JSON.stringify((await stack.api('/docs/json')).body);
    for (const text of ['InterpolationDirections', 'ModelPlaneDirections', 'PcaDirections', 'δ = θ2 − θ1', 'η = θC − θA', 'bnRecalibration', 'Σ_k (|b_k|/N)', 'leastSquares', 'explainedVarianceRatio']) {
      expect(spec, text).toContain(text);
    }
    const paths = ((await stack.api<{ paths: Record<string, unknown> }>('/docs/json')).body).paths;
    expect(Object.keys(paths)).toContain('/api/v1/surfaces/with-checkpoints');
  });
});
