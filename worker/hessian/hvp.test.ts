import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvalData } from '../engine/evaluator.ts';
import { initTfjs } from '../engine/tfjs/backend.ts';
import { createGradientEvaluator, type GradientEvaluator } from '../engine/tfjs/gradient.ts';
import { gaussianStream } from '../numeric/rng.ts';
import { eigenRatio } from './eigen-ratio.ts';
import { finiteDifferenceHvp, type GradientFn } from './hvp.ts';
import { symmetricEigen } from './symmetric-eigen.ts';
import { relativeError, storedModel, type StoredModel } from './test-models.ts';

const evaluators: GradientEvaluator[] = [];
const models: StoredModel[] = [];
beforeAll(async () => {
  await initTfjs();
});
afterAll(() => {
  evaluators.forEach((e) => e.dispose());
  models.forEach((m) => m.model.dispose());
});

function gradientOf(stored: StoredModel, data: EvalData): GradientFn {
  const evaluator = createGradientEvaluator(stored.model, data, { loss: 'mse', params: stored.params, batchSize: 64 });
  evaluators.push(evaluator);
  return async (point) => (await evaluator.lossAndGradient(point)).gradient;
}

function matVec(m: number[][], v: ArrayLike<number>): number[] {
  return m.map((row) => row.reduce((s, x, j) => s + x * v[j]!, 0));
}

describe('finite-difference Hessian of linear regression with MSE (H = (2/n)·[X 1]ᵀ[X 1] over [w; b])', () => {
  const d = 12;
  const n = 200;
  const normal = gaussianStream(11);
  // Features with unequal scales so the spectrum is spread and λmax is well separated.
  const scales = Array.from({ length: d }, (_, j) => 0.3 + 0.25 * j);
  const x = Float32Array.from({ length: n * d }, (_, k) => normal() * scales[k % d]!);
  const data: EvalData = { x, inputShape: [d], y: Float32Array.from({ length: n }, () => normal()), n };
  const analytic = Array.from({ length: d + 1 }, (_, a) =>
    Array.from({ length: d + 1 }, (_, b) => {
      let s = 0;
      for (let i = 0; i < n; i++) s += (a < d ? x[i * d + a]! : 1) * (b < d ? x[i * d + b]! : 1);
      return (2 / n) * s;
    }),
  );

  it('matches H·v to 1e-3 relative for random v at random θ', async () => {
    const stored = await storedModel(tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [d] })] }));
    models.push(stored);
    const gradient = gradientOf(stored, data);
    const theta = Float32Array.from(stored.theta, () => normal());
    for (let trial = 0; trial < 3; trial++) {
      const v = Float32Array.from({ length: d + 1 }, () => normal());
      const hv = await finiteDifferenceHvp(gradient, theta, v);
      // Measured ≈ 4e-5 on wasm (float32 gradients).
      expect(relativeError(hv, matVec(analytic, v))).toBeLessThan(1e-3);
    }
  });

  it('finds λmax and λmin of the analytic matrix', async () => {
    const stored = await storedModel(tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [d] })] }));
    models.push(stored);
    const gradient = gradientOf(stored, data);
    const exact = symmetricEigen(analytic).values;
    const result = await eigenRatio(gradient, Float32Array.from(stored.theta, () => normal()), null, { lanczos: { maxSteps: d + 1, tolerance: 1e-4 } });
    expect(result.lambdaMax / exact[d]!).toBeCloseTo(1, 3);
    expect(result.lambdaMin / exact[0]!).toBeCloseTo(1, 2);
    expect(result.ratio).toBeGreaterThan(0);
  });
});

describe('finite-difference Hessian of a two-layer linear net at θ = 0 (a saddle)', () => {
  it('gives λmin/λmax = −1 with λ = ±‖c‖, c = −(2/n)·Σ y_i·x_i', async () => {
    // f(x) = w2 · (w1ᵀx): at w = 0, H = [[0, c], [cᵀ, 0]] over [w1; w2], eigenvalues ±‖c‖ and 0.
    const d = 3;
    const n = 64;
    const normal = gaussianStream(21);
    const x = Float32Array.from({ length: n * d }, () => normal());
    const y = Float32Array.from({ length: n }, (_, i) => x[i * d]! - 0.5 * x[i * d + 1]! + 0.1 * normal());
    const built = tf.sequential({
      layers: [
        tf.layers.dense({ units: 1, inputShape: [d], useBias: false, kernelInitializer: 'zeros' }),
        tf.layers.dense({ units: 1, useBias: false, kernelInitializer: 'zeros' }),
      ],
    });
    const stored = await storedModel(built);
    models.push(stored);
    const gradient = gradientOf(stored, { x, inputShape: [d], y, n });
    const c = Array.from({ length: d }, (_, j) => (-2 / n) * y.reduce((s, yi, i) => s + yi * x[i * d + j]!, 0));
    const cNorm = Math.hypot(...c);
    const result = await eigenRatio(gradient, new Float32Array(d + 1), null, { lanczos: { maxSteps: d + 1, tolerance: 1e-4 } });
    expect(result.lambdaMax / cNorm).toBeCloseTo(1, 3);
    expect(result.lambdaMin / cNorm).toBeCloseTo(-1, 3);
    expect(result.ratio).toBeCloseTo(-1, 3);
  });
});

describe('finite-difference step', () => {
  it('scales ε with ‖θ‖ over the masked (trainable) entries only, so large BN statistics do not set it', async () => {
    // L = ½·θ₀² (gradient θ₀ in the first entry); the points where the gradient is taken are recorded.
    const points: number[][] = [];
    const gradient: GradientFn = async (point) => {
      points.push([...point]);
      return Float32Array.from(point, (value, i) => (i === 0 ? value : 0));
    };
    const theta = Float32Array.from([3, 4, 1e5]); // ‖θ‖ over the first two entries = 5
    const v = Float32Array.from([1, 0, 0]);
    const hv = await finiteDifferenceHvp(gradient, theta, v, { mask: Uint8Array.from([1, 1, 0]) });
    expect(points.map((p) => p[0]! - 3)).toEqual([expect.closeTo(5e-3, 6), expect.closeTo(-5e-3, 6)]);
    expect(hv[0]).toBeCloseTo(1, 3);
    points.length = 0;
    await finiteDifferenceHvp(gradient, theta, v);
    expect(points[0]![0]! - 3).toBeCloseTo(100, 0); // unmasked: ε = 1e-3·‖θ‖ ≈ 100, far from local
  });
});
