import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linspace, type Axis } from '../contract/index.ts';
import { surfaceDirections } from '../worker/numeric/directions.ts';
import { perturb } from '../worker/numeric/vector.ts';
import type { TfjsEvaluator } from '../worker/engine/tfjs/evaluator.ts';
import { artifactOf, fixedNumbers, linearRegressionModel, wasmEvaluator } from './engine-helpers.ts';

/**
 * Pins the grid layout loss[iy][ix] = f(x[ix], y[iy]) (method.md, "Surfaces") end to end through
 * the real engine: for a linear regression under MSE, f(α, β) = L(θ* + αδ + βη) is a quadratic in
 * (α, β) whose coefficients follow from δ, η, X and y in closed form.
 */
const FEATURES = 3;
const N = 40;

let evaluator: TfjsEvaluator;
beforeAll(async () => {
  evaluator = await wasmEvaluator();
});
afterAll(() => evaluator.dispose());

/** residual_i(θ) = x_i·w + b − y_i in float64; θ = [w (FEATURES), b]. */
function residuals(theta: ArrayLike<number>, x: Float32Array, y: Float32Array, withTarget: boolean): Float64Array {
  const out = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    let value = theta[FEATURES]! - (withTarget ? y[i]! : 0);
    for (let j = 0; j < FEATURES; j++) value += x[i * FEATURES + j]! * theta[j]!;
    out[i] = value;
  }
  return out;
}

const mean = (f: (i: number) => number) => Array.from({ length: N }, (_, i) => f(i)).reduce((s, v) => s + v, 0) / N;

describe('grid orientation', () => {
  it('loss[iy][ix] equals the closed-form f(x[ix], y[iy]) on a non-square grid', async () => {
    const model = linearRegressionModel(FEATURES, 7);
    const artifact = await artifactOf(model);
    model.dispose();
    await evaluator.load(artifact);
    const x = fixedNumbers(N * FEATURES, 81);
    const y = fixedNumbers(N, 82).map((v) => 2 * v + 0.5);
    await evaluator.setData({ x, inputShape: [FEATURES], y, n: N });

    const theta = evaluator.storedParameters();
    const directions = surfaceDirections(artifact.parameters, theta, { seed: 5, normalization: 'filter', ignore: 'biasbn', mode: 'weights' }, 2);
    const delta = directions.x;
    const eta = directions.y!;

    // r(α, β) = r0 + α·a + β·c, with a and c the linear responses to δ and η (no target term).
    const r0 = residuals(theta, x, y, true);
    const a = residuals(delta, x, y, false);
    const c = residuals(eta, x, y, false);
    const k = {
      constant: mean((i) => r0[i]! ** 2),
      alpha: mean((i) => 2 * r0[i]! * a[i]!),
      beta: mean((i) => 2 * r0[i]! * c[i]!),
      alpha2: mean((i) => a[i]! ** 2),
      beta2: mean((i) => c[i]! ** 2),
      alphaBeta: mean((i) => 2 * a[i]! * c[i]!),
    };
    const f = (alpha: number, beta: number) =>
      k.constant + k.alpha * alpha + k.beta * beta + k.alpha2 * alpha ** 2 + k.beta2 * beta ** 2 + k.alphaBeta * alpha * beta;

    const xAxis: Axis = { min: -1, max: 2, num: 5 };
    const yAxis: Axis = { min: -0.5, max: 0.25, num: 3 };
    const xs = linspace(xAxis);
    const ys = linspace(yAxis);
    const point = new Float32Array(theta.length);
    const loss: number[][] = [];
    for (let iy = 0; iy < ys.length; iy++) {
      const row: number[] = [];
      for (let ix = 0; ix < xs.length; ix++) {
        await evaluator.setParameters(perturb(theta, delta, xs[ix]!, eta, ys[iy]!, point));
        row.push((await evaluator.evaluate({ loss: 'mse', batchSize: 16 })).loss);
      }
      loss.push(row);
    }

    expect(loss.length).toBe(3);
    for (const row of loss) expect(row.length).toBe(5);
    for (let iy = 0; iy < ys.length; iy++) {
      for (let ix = 0; ix < xs.length; ix++) {
        const expected = f(xs[ix]!, ys[iy]!);
        expect(Math.abs(loss[iy]![ix]! - expected)).toBeLessThanOrEqual(1e-5 * expected);
      }
    }
    // The surface is not symmetric under swapping the axes, so a transposed layout could not pass.
    expect(Math.abs(f(xs[4]!, ys[0]!) - f(ys[0]!, xs[4]!))).toBeGreaterThan(1e-2 * f(xs[4]!, ys[0]!));
  });
});
