import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { gaussianStream } from '../../numeric/rng.ts';
import { relativeError, storedModel } from '../../hessian/test-models.ts';
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
      const result = await lossAndGradient(model, data, 'mse', 'linear', theta, params, batchSize);
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

    const gradients = createGradientEvaluator(model, data, { loss: 'sparse_categorical_crossentropy', outputActivation: 'softmax', params, batchSize: 16 });
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
});
