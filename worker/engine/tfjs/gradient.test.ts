import * as tf from './tf.ts';
import { beforeAll, describe, expect, it } from 'vitest';
import { gaussianStream } from '../../numeric/rng.ts';
import { relativeError } from '../../autodiff/ops/gradient-check.ts';
import { storedModel } from '../../hessian/test-models.ts';
import type { EvalData } from '../evaluator.ts';
import { initTfjs } from './backend.ts';
import { TfjsEvaluator } from './evaluator.ts';
import { createGradientEvaluator, lossAndGradient } from './gradient.ts';

beforeAll(async () => {
  await initTfjs();
});

function regressionData(n: number, d: number, seed: number): EvalData {
  const normal = gaussianStream(seed);
  const x = Float32Array.from({ length: n * d }, () => normal());
  const y = Float32Array.from({ length: n }, () => normal());
  return { x, inputShape: [d], y, n };
}

describe('lossAndGradient', () => {
  it('equals the analytic MSE gradient (2/n)·Σ r_i·[x_i; 1] of linear regression, whatever the batch size', async () => {
    const d = 4;
    const n = 37;
    const { model, params, theta } = await storedModel(tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [d] })] }));
    const data = regressionData(n, d, 1);
    theta.set([0.3, -0.7, 0.2, 1.1, 0.4]); // kernel [4,1] then bias [1]
    const expected = new Float64Array(d + 1);
    let expectedLoss = 0;
    for (let i = 0; i < n; i++) {
      let r = theta[d]! - data.y[i]!;
      for (let j = 0; j < d; j++) r += theta[j]! * data.x[i * d + j]!;
      expectedLoss += (r * r) / n;
      for (let j = 0; j < d; j++) expected[j] += (2 / n) * r * data.x[i * d + j]!;
      expected[d] += (2 / n) * r;
    }
    for (const batchSize of [5, 128]) {
      const result = await lossAndGradient(model, data, 'mse', theta, params, batchSize);
      expect(result.loss).toBeCloseTo(expectedLoss, 5);
      expect(relativeError(result.gradient, expected)).toBeLessThan(1e-5);
    }
    model.dispose();
  });

  it('agrees with the evaluator (BN in inference mode), zeroes non-trainable entries and leaks no tensors', async () => {
    const built = tf.sequential({
      layers: [
        tf.layers.dense({ units: 8, inputShape: [3], activation: 'tanh' }),
        tf.layers.batchNormalization(),
        tf.layers.dropout({ rate: 0.5 }),
        tf.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    });
    const { artifact, model, params, theta } = await storedModel(built);
    // Moving statistics far from the batch statistics: a training-mode forward pass would differ.
    for (const p of params) {
      if (p.role === 'bn_moving_mean') theta.fill(0.7, p.offset, p.offset + p.size);
      if (p.role === 'bn_moving_variance') theta.fill(3, p.offset, p.offset + p.size);
    }
    const normal = gaussianStream(4);
    const n = 50;
    const data: EvalData = { x: Float32Array.from({ length: n * 3 }, () => normal()), inputShape: [3], y: Int32Array.from({ length: n }, (_, i) => i % 3), n };
    const evaluator = await TfjsEvaluator.create();
    await evaluator.load(artifact);
    await evaluator.setData(data);
    await evaluator.setParameters(theta);
    const reference = await evaluator.evaluate({ loss: 'sparse_categorical_crossentropy', batchSize: 16 });
    evaluator.dispose();

    const gradients = createGradientEvaluator(model, data, { loss: 'sparse_categorical_crossentropy', params, batchSize: 16 });
    await gradients.lossAndGradient(theta); // warm-up: kernels allocate lasting state on first use
    const before = tf.memory().numTensors;
    const { loss, gradient } = await gradients.lossAndGradient(theta);
    expect(tf.memory().numTensors).toBe(before);
    expect(loss).toBeCloseTo(reference.loss, 5);
    for (const p of params) {
      const slice = gradient.subarray(p.offset, p.offset + p.size);
      if (p.trainable) expect(slice.some((g) => g !== 0)).toBe(true);
      else expect(slice.every((g) => g === 0)).toBe(true);
    }

    // First-order check: the directional derivative ⟨∇L, v⟩ against a central difference of L.
    const v = Float32Array.from(theta, (_, i) => (params.find((p) => i >= p.offset && i < p.offset + p.size)!.trainable ? normal() : 0));
    const h = 1e-3; // tanh: smooth, so the central difference is O(h²) accurate
    const at = async (s: number) => (await gradients.lossAndGradient(Float32Array.from(theta, (t, i) => t + s * v[i]!))).loss;
    const numeric = ((await at(h)) - (await at(-h))) / (2 * h);
    const analytic = gradient.reduce((s, g, i) => s + g * v[i]!, 0);
    expect(Math.abs(numeric - analytic)).toBeLessThan(2e-3 * Math.abs(analytic) + 1e-4);
    gradients.dispose();
    model.dispose();
  });

  it('normalizes each batch with its own statistics in batchNorm "batch" mode, ignoring the moving ones', async () => {
    const built = tf.sequential({
      layers: [
        tf.layers.dense({ units: 6, inputShape: [3], activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }) }),
        tf.layers.batchNormalization({ epsilon: 1e-3 }),
        tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 6 }) }),
      ],
    });
    const { model, params, theta } = await storedModel(built);
    const normal = gaussianStream(9);
    const n = 40;
    const data: EvalData = { x: Float32Array.from({ length: n * 3 }, () => 2 + normal()), inputShape: [3], y: Int32Array.from({ length: n }, (_, i) => i % 3), n };
    const withMoving = (mean: number, variance: number) => {
      const changed = theta.slice();
      for (const p of params) {
        if (p.role === 'bn_moving_mean') changed.fill(mean, p.offset, p.offset + p.size);
        if (p.role === 'bn_moving_variance') changed.fill(variance, p.offset, p.offset + p.size);
      }
      return changed;
    };
    const batch = createGradientEvaluator(model, data, { loss: 'sparse_categorical_crossentropy', params, batchSize: 20, batchNorm: 'batch' });
    const moving = createGradientEvaluator(model, data, { loss: 'sparse_categorical_crossentropy', params, batchSize: 20 });
    const a = await batch.lossAndGradient(withMoving(0, 1));
    const b = await batch.lossAndGradient(withMoving(5, 40));
    expect(b.loss).toBeCloseTo(a.loss, 6);
    expect(relativeError(b.gradient, a.gradient)).toBeLessThan(1e-5);
    expect(Math.abs((await moving.lossAndGradient(withMoving(5, 40))).loss - a.loss)).toBeGreaterThan(1e-3);
    // By hand for the first batch: BN(h) = γ·(h − mean_batch)/√(var_batch + ε) + β with γ = 1, β = 0.
    // Keras order: trainable weights layer by layer, then the moving statistics.
    const [kernel1, bias1, , , kernel2, bias2] = params.map((p) => theta.subarray(p.offset, p.offset + p.size));
    let lossSum = 0;
    for (const start of [0, 20]) {
      const hidden = Array.from({ length: 20 }, (_, i) => Array.from({ length: 6 }, (_, u) =>
        Math.tanh(bias1![u]! + [0, 1, 2].reduce((s, j) => s + data.x[(start + i) * 3 + j]! * kernel1![j * 6 + u]!, 0))));
      const mean = Array.from({ length: 6 }, (_, u) => hidden.reduce((s, h) => s + h[u]!, 0) / 20);
      const variance = Array.from({ length: 6 }, (_, u) => hidden.reduce((s, h) => s + (h[u]! - mean[u]!) ** 2, 0) / 20);
      hidden.forEach((h, i) => {
        const normalized = h.map((v, u) => (v - mean[u]!) / Math.sqrt(variance[u]! + 1e-3));
        const logits = Array.from({ length: 3 }, (_, c) => bias2![c]! + normalized.reduce((s, v, u) => s + v * kernel2![u * 3 + c]!, 0));
        const top = Math.max(...logits);
        const logSum = top + Math.log(logits.reduce((s, l) => s + Math.exp(l - top), 0));
        lossSum += logSum - logits[data.y[start + i]!]!;
      });
    }
    expect(a.loss).toBeCloseTo(lossSum / n, 4);
    batch.dispose();
    moving.dispose();
    model.dispose();
  });
});
