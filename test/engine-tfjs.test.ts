import { readFile } from 'node:fs/promises';
import * as tf from '../worker/engine/tfjs/tf.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContractError, describeLayersModel, type Engine } from '../contract/index.ts';
import { builtinDataset } from '../worker/datasets/builtin.ts';
import { evaluationData } from '../worker/datasets/select.ts';
import type { ModelArtifact } from '../worker/engine/evaluator.ts';
import { createEvaluator } from '../worker/engine/registry.ts';
import { layersModelArtifact } from '../worker/engine/tfjs/artifact.ts';
import { loadLayersModel } from '../worker/engine/tfjs/load-model.ts';
import type { TfjsEvaluator } from '../worker/engine/tfjs/evaluator.ts';
import { artifactOf, fixedNumbers, linearRegressionLoss, linearRegressionModel, wasmEvaluator } from './engine-helpers.ts';

function expectRelativelyClose(actual: number, expected: number, tolerance: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(tolerance * Math.abs(expected));
}

let evaluator: TfjsEvaluator;
beforeAll(async () => {
  evaluator = await wasmEvaluator();
});
afterAll(() => evaluator.dispose());

describe('tfjs engine', () => {
  it('runs on the wasm backend', () => {
    // crossEntropy: the engines now record that cross-entropy is computed from logits (method.md, "Losses").
    expect(evaluator.info).toEqual({ name: 'tfjs', backend: 'wasm', version: tf.version.tfjs, crossEntropy: 'logits' });
  });

  it('matches the closed-form MSE of a linear regression at several parameter vectors', async () => {
    const features = 4;
    const n = 50;
    const x = fixedNumbers(n * features, 1);
    const y = fixedNumbers(n, 2).map((v) => 3 * v);
    const model = linearRegressionModel(features, 3);
    await evaluator.load(await artifactOf(model));
    model.dispose();
    await evaluator.setData({ x, inputShape: [features], y, n });
    const theta = evaluator.storedParameters();
    expect(theta.length).toBe(features + 1);
    expect(theta[features]).toBe(1); // bias initializer 'ones': kernel first, then bias
    const vectors = [theta, Float32Array.from([0.5, -1, 2, 0.25, -0.75]), Float32Array.from([10, 0, -3, 7, 4]), new Float32Array(5)];
    for (const vector of vectors) {
      await evaluator.setParameters(vector);
      const result = await evaluator.evaluate({ loss: 'mse' });
      expectRelativelyClose(result.loss, linearRegressionLoss(x, y, vector.subarray(0, features), vector[features]!), 1e-5);
      expect(result.accuracy).toBeNull();
    }
  });

  describe('cross-entropy against a hand computation', () => {
    const features = 3;
    const classes = 4;
    const n = 40;
    const x = fixedNumbers(n * features, 11).map((v) => 2 * v);
    const labels = Int32Array.from({ length: n }, (_, i) => (i * 7) % classes);
    const kernel = fixedNumbers(features * classes, 12).map((v) => 3 * v);
    const bias = fixedNumbers(classes, 13);

    function logits(i: number, scale: number): number[] {
      return Array.from({ length: classes }, (_, c) => {
        let z = scale * bias[c]!;
        for (let j = 0; j < features; j++) z += x[i * features + j]! * scale * kernel[j * classes + c]!;
        return z;
      });
    }
    // The method changed (method.md, "Losses"): cross-entropy from logits, −z_label + log Σ exp z,
    // no longer −log of the probability clipped to [1e-7, 1 − 1e-7] (the same numbers here, except
    // in the far field below, where the clipped loss stopped at 16.1).
    function expected(scale = 1): { loss: number; accuracy: number } {
      let loss = 0;
      let correct = 0;
      for (let i = 0; i < n; i++) {
        const z = logits(i, scale);
        const max = Math.max(...z);
        const logSum = max + Math.log(z.reduce((s, v) => s + Math.exp(v - max), 0));
        loss += logSum - z[labels[i]!]!;
        if (z.indexOf(max) === labels[i]) correct++;
      }
      return { loss: loss / n, accuracy: correct / n };
    }

    for (const activation of ['softmax', 'linear'] as const) {
      it(`${activation === 'softmax' ? 'probabilities (softmax)' : 'logits (linear)'} model`, async () => {
        const model = tf.sequential({ name: `ce_${activation}`, layers: [tf.layers.dense({ units: classes, inputShape: [features], activation })] });
        const artifact = await artifactOf(model);
        model.dispose();
        expect(artifact.outputActivation).toBe(activation);
        await evaluator.load(artifact);
        await evaluator.setData({ x, inputShape: [features], y: labels, n });
        await evaluator.setParameters(Float32Array.from([...kernel, ...bias]));
        const want = expected();
        for (const loss of ['categorical_crossentropy', 'sparse_categorical_crossentropy'] as const) {
          const result = await evaluator.evaluate({ loss });
          expectRelativelyClose(result.loss, want.loss, 1e-5);
          expect(result.accuracy).toBe(want.accuracy);
        }
      });
    }

    it('keeps rising past 16.1 in the far field, for a softmax model as for its logits twin (same numbers)', async () => {
      const far: number[] = [];
      for (const activation of ['softmax', 'linear'] as const) {
        const model = tf.sequential({ name: `far_${activation}`, layers: [tf.layers.dense({ units: classes, inputShape: [features], activation })] });
        await evaluator.load(await artifactOf(model));
        model.dispose();
        await evaluator.setData({ x, inputShape: [features], y: labels, n });
        for (const scale of [30, 100, 1000]) {
          await evaluator.setParameters(Float32Array.from([...kernel, ...bias], (v) => v * scale));
          const result = await evaluator.evaluate({ loss: 'sparse_categorical_crossentropy' });
          expectRelativelyClose(result.loss, expected(scale).loss, 1e-5);
          far.push(result.loss);
        }
      }
      expect(far[0]!).toBeGreaterThan(16.2);
      expect(far[1]!).toBeGreaterThan(far[0]!);
      expect(far[2]!).toBeGreaterThan(far[1]!);
      expect(far.slice(3)).toEqual(far.slice(0, 3));
    });

    it('binary cross-entropy of a sigmoid model', async () => {
      const model = tf.sequential({ name: 'bce', layers: [tf.layers.dense({ units: 1, inputShape: [features], activation: 'sigmoid' })] });
      await evaluator.load(await artifactOf(model));
      model.dispose();
      const binaryLabels = labels.map((l) => l % 2);
      await evaluator.setData({ x, inputShape: [features], y: binaryLabels, n });
      const w = [1.5, -2, 0.5];
      await evaluator.setParameters(Float32Array.from([...w, 0.25]));
      let loss = 0;
      let correct = 0;
      for (let i = 0; i < n; i++) {
        const z = 0.25 + w.reduce((s, wj, j) => s + wj * x[i * features + j]!, 0);
        // From logits (the method changed, method.md "Losses"): −log σ(z) = log(1 + e^−z), −log(1 − σ(z)) = log(1 + e^z); no clipping.
        loss += binaryLabels[i] === 1 ? Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
        if ((z > 0 ? 1 : 0) === binaryLabels[i]) correct++;
      }
      const result = await evaluator.evaluate({ loss: 'binary_crossentropy' });
      expectRelativelyClose(result.loss, loss / n, 1e-5);
      expect(result.accuracy).toBe(correct / n);
    });
  });

  it('gives the same loss for batch sizes 7, 128 and n (short last batch)', async () => {
    const n = 100; // 100 = 14·7 + 2
    const model = tf.sequential({
      name: 'batching',
      layers: [
        tf.layers.dense({ units: 8, inputShape: [5], activation: 'tanh', kernelInitializer: tf.initializers.glorotNormal({ seed: 5 }) }),
        tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotNormal({ seed: 6 }) }),
      ],
    });
    await evaluator.load(await artifactOf(model));
    model.dispose();
    await evaluator.setData({ x: fixedNumbers(n * 5, 21), inputShape: [5], y: Int32Array.from({ length: n }, (_, i) => i % 3), n });
    const results = [];
    for (const batchSize of [7, 128, n]) results.push(await evaluator.evaluate({ loss: 'categorical_crossentropy', batchSize }));
    for (const result of results.slice(1)) {
      expectRelativelyClose(result.loss, results[0]!.loss, 1e-6);
      expect(result.accuracy).toBe(results[0]!.accuracy);
    }
  });

  it('evaluates batch normalization with the stored moving statistics, which setParameters writes', async () => {
    const model = tf.sequential({ name: 'bn', layers: [tf.layers.batchNormalization({ inputShape: [2], epsilon: 1e-3 })] });
    const artifact = await artifactOf(model);
    model.dispose();
    const roles = artifact.parameters.map((p) => p.role);
    expect(roles).toEqual(['bn_gamma', 'bn_beta', 'bn_moving_mean', 'bn_moving_variance']);
    await evaluator.load(artifact);
    const n = 64;
    const x = fixedNumbers(n * 2, 31); // batch mean ≈ 0, variance ≈ 1/3: far from the moving stats below
    const targets = new Float32Array(n * 2);
    await evaluator.setData({ x, inputShape: [2], y: targets, n });
    const gamma = [2, 0.5];
    const beta = [0.1, -0.2];
    const expectedLoss = (mean: number[], variance: number[]) => {
      let sum = 0;
      for (let i = 0; i < n; i++) {
        for (let c = 0; c < 2; c++) sum += (gamma[c]! * (x[2 * i + c]! - mean[c]!) / Math.sqrt(variance[c]! + 1e-3) + beta[c]!) ** 2 / 2;
      }
      return sum / n;
    };
    for (const [mean, variance] of [[[5, -3], [4, 9]], [[-1, 2], [0.25, 16]]] as const) {
      await evaluator.setParameters(Float32Array.from([...gamma, ...beta, ...mean, ...variance]));
      const result = await evaluator.evaluate({ loss: 'mse', batchSize: 16 });
      expectRelativelyClose(result.loss, expectedLoss([...mean], [...variance]), 1e-5);
    }
  });

  it('returns a non-finite loss without throwing', async () => {
    const model = linearRegressionModel(2, 41);
    await evaluator.load(await artifactOf(model));
    model.dispose();
    await evaluator.setData({ x: Float32Array.from([1, 2, 3, 4]), inputShape: [2], y: Float32Array.from([0, 0]), n: 2 });
    await evaluator.setParameters(Float32Array.from([1e30, 1e30, 0]));
    expect((await evaluator.evaluate({ loss: 'mse' })).loss).toBe(Infinity);

    const classifier = tf.sequential({ name: 'nan', layers: [tf.layers.dense({ units: 3, inputShape: [2], activation: 'softmax' })] });
    await evaluator.load(await artifactOf(classifier));
    classifier.dispose();
    await evaluator.setData({ x: Float32Array.from([1, 2, 3, 4]), inputShape: [2], y: Int32Array.from([0, 2]), n: 2 });
    const theta = evaluator.storedParameters();
    // Sample [3, 4]: z0 = 3e38 + 4e38 overflows float32 to Inf, and softmax then computes Inf − Inf = NaN.
    theta[0] = 1e38;
    theta[3] = 1e38;
    await evaluator.setParameters(theta);
    const result = await evaluator.evaluate({ loss: 'categorical_crossentropy' });
    expect(Number.isNaN(result.loss)).toBe(true);
  });

  it('does not grow the tensor count across evaluations', async () => {
    const model = linearRegressionModel(3, 51);
    await evaluator.load(await artifactOf(model));
    model.dispose();
    await evaluator.setData({ x: fixedNumbers(30, 52), inputShape: [3], y: fixedNumbers(10, 53), n: 10 });
    const theta = evaluator.storedParameters();
    await evaluator.evaluate({ loss: 'mse', batchSize: 3 });
    const before = evaluator.resources().numTensors;
    for (let i = 0; i < 20; i++) {
      theta[0] = i;
      await evaluator.setParameters(theta);
      await evaluator.evaluate({ loss: 'mse', batchSize: 3 });
    }
    expect(evaluator.resources().numTensors).toBe(before);
  });

  it('rejects a parameter vector of the wrong length and data of the wrong shape with ContractError', async () => {
    const model = linearRegressionModel(3, 61);
    await evaluator.load(await artifactOf(model));
    model.dispose();
    await expect(evaluator.setParameters(new Float32Array(3))).rejects.toThrow(ContractError);
    await expect(evaluator.setData({ x: new Float32Array(8), inputShape: [4], y: new Float32Array(2), n: 2 })).rejects.toThrow(/dataset: samples have shape \[4\]/);
  });
});

describe('model loading', () => {
  it('names the file at fault', async () => {
    const model = linearRegressionModel(2, 71);
    const artifact = await artifactOf(model);
    model.dispose();
    const withoutWeights: ModelArtifact = { ...artifact, files: { 'model.json': artifact.files['model.json']! } };
    await expect(loadLayersModel(withoutWeights)).rejects.toMatchObject({ field: 'weights.bin' });
    const truncated: ModelArtifact = { ...artifact, files: { ...artifact.files, 'weights.bin': artifact.files['weights.bin']!.subarray(4) } };
    await expect(loadLayersModel(truncated)).rejects.toMatchObject({ field: 'weights.bin' });
    const notJson: ModelArtifact = { ...artifact, files: { ...artifact.files, 'model.json': new TextEncoder().encode('{oops') } };
    await expect(loadLayersModel(notJson)).rejects.toMatchObject({ field: 'model.json' });
  });
});

describe('engine registry', () => {
  it('creates a tfjs evaluator and rejects an engine it lacks', async () => {
    const created = await createEvaluator('tfjs');
    expect(created.info.name).toBe('tfjs');
    created.dispose();
    await expect(createEvaluator('torch' as Engine)).rejects.toMatchObject({ name: 'ContractError', field: 'engine' });
  });
});

describe('demo fixtures', () => {
  for (const id of ['demo-cnn-skip', 'demo-cnn-plain']) {
    it(`${id}: parameter model and test accuracy > 0.9 on 500 samples`, async () => {
      const dir = new URL(`../fixtures/models/${id}/`, import.meta.url);
      const files = { 'model.json': await readFile(new URL('model.json', dir)), 'weights.bin': await readFile(new URL('weights.bin', dir)) };
      const info = JSON.parse(await readFile(new URL('model-info.json', dir), 'utf8')) as { id: string; dataset: string; recipe: { shortcut: boolean } };
      expect(info).toMatchObject({ id, dataset: 'mnist', recipe: { shortcut: id === 'demo-cnn-skip' } });

      const description = describeLayersModel(JSON.parse(files['model.json'].toString('utf8')));
      expect(description.trainingLoss).toBe('categorical_crossentropy');
      expect(description.outputActivation).toBe('softmax');
      expect(description.layers.some((l) => l.className === 'Add')).toBe(id === 'demo-cnn-skip');
      const kernels = description.parameters.filter((p) => p.role === 'kernel');
      expect(kernels.length).toBe(5);
      for (const k of kernels) expect(k.filterAxes).toEqual([k.shape.length - 1]);
      const roles = new Set(description.parameters.map((p) => p.role));
      for (const role of ['bn_gamma', 'bn_beta', 'bn_moving_mean', 'bn_moving_variance'] as const) expect(roles).toContain(role);
      for (const p of description.parameters) expect(p.trainable).toBe(p.role !== 'bn_moving_mean' && p.role !== 'bn_moving_variance');
      const count = description.parameters.reduce((n, p) => n + p.size, 0);
      expect(count).toBeGreaterThan(10_000);
      expect(count).toBeLessThan(30_000);

      await evaluator.load(layersModelArtifact(files, id));
      const { data } = evaluationData(builtinDataset('mnist'), 'test', 500, 0);
      await evaluator.setData(data);
      const result = await evaluator.evaluate({ loss: 'categorical_crossentropy' });
      expect(result.accuracy).toBeGreaterThan(0.9);
      expect(result.loss).toBeLessThan(0.5);
    });
  }
});
