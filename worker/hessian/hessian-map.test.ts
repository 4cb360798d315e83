import * as tf from '../engine/tfjs/tf.ts';
import { beforeAll, describe, expect, it } from 'vitest';
import { hessianSummary, type HessianPoint } from '../../contract/metrics/hessian.ts';
import { createGradientEngine } from '../autodiff/index.ts';
import { initTfjs } from '../engine/tfjs/backend.ts';
import { gaussianStream } from '../numeric/rng.ts';
import { hessianMap, hessianPointKey, type HessianMapInput } from './hessian-map.ts';
import { hessianAt } from './hvp.ts';
import { storedModel } from './test-models.ts';

beforeAll(async () => {
  await initTfjs();
});

/**
 * f(x) = w2·(w1ᵀx) with w = 0 at θ*, mse loss: L = mean (w2·w1ᵀx − y)², whose Hessian at w = 0
 * has the off-diagonal block −2·mean(y·x) only, a symmetric saddle (eigenvalues ±‖2·mean(y·x)‖);
 * mapped over a 3×3 sub-grid of a 5×5 surface grid with exact products, counted in `counter`.
 */
async function saddleMap() {
  const d = 2;
  const n = 40;
  const normal = gaussianStream(5);
  const x = Float32Array.from({ length: n * d }, () => normal());
  const y = Float32Array.from({ length: n }, (_, i) => x[i * d]! + 0.1 * normal());
  const stored = await storedModel(tf.sequential({
    layers: [
      tf.layers.dense({ units: 1, inputShape: [d], useBias: false, kernelInitializer: 'zeros' }),
      tf.layers.dense({ units: 1, useBias: false, kernelInitializer: 'zeros' }),
    ],
  }));
  stored.model.dispose();
  const engine = await createGradientEngine(stored.artifact, { parameters: 'weights', batchNorm: 'moving', loss: 'mse' });
  await engine.setData({ x, inputShape: [d], y, n });
  const counter = { products: 0 };
  const input: HessianMapInput = {
    hessianAt: (p) => {
      const apply = hessianAt(engine, p);
      return (v) => {
        counter.products++;
        return apply(v);
      };
    },
    theta: stored.theta,
    directions: { x: Float32Array.from([1, 0, 0]), y: Float32Array.from([0, 0, 1]) },
    axes: { x: [-1, -0.5, 0, 0.5, 1], y: [-1, -0.5, 0, 0.5, 1] },
    mask: engine.mask,
    points: 3,
    maxSteps: 3,
    tolerance: 1e-4,
    seed: 0,
  };
  return {
    input,
    counter,
    dispose: () => engine.dispose(),
  };
}

describe('hessianMap', () => {
  it('maps the saddle of a two-layer linear net: |λmin/λmax| = 1 at θ* = 0, and the sub-grid follows the surface grid', async () => {
    const saddle = await saddleMap();
    const progress: number[] = [];
    const points = await hessianMap({ ...saddle.input, onPoint: (_point, done) => void progress.push(done) });
    await saddle.dispose();
    expect(points.map((p) => [p.ix, p.iy])).toEqual([[0, 0], [2, 0], [4, 0], [0, 2], [2, 2], [4, 2], [0, 4], [2, 4], [4, 4]]);
    expect(progress).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const center = points[4]!;
    expect(center.ratio).toBeCloseTo(-1, 3);
    // Away from 0 the net is no longer a symmetric saddle.
    expect(Math.abs(points[0]!.absRatio! - 1)).toBeGreaterThan(0.01);
    const summary = hessianSummary(points);
    expect(summary.absRatioAtCenter).toBeCloseTo(1, 3);
    expect(summary.points).toBe(9);
    expect(summary.nonConvexShare).toBeGreaterThan(0);
  });

  it('resumes an interrupted run: reuses the points it is given, computes only the missing ones, and returns the uninterrupted map', async () => {
    const saddle = await saddleMap();
    const productsPerPoint: number[] = [];
    let counted = 0;
    const uninterrupted = await hessianMap({
      ...saddle.input,
      onPoint: () => {
        productsPerPoint.push(saddle.counter.products - counted);
        counted = saddle.counter.products;
      },
    });
    // Every other point (0, 2, 4, 6, 8) was finished before the interruption, as JSON from Redis would give them back.
    const finished = uninterrupted.filter((_, i) => i % 2 === 0);
    const missing = [1, 3, 5, 7];
    saddle.counter.products = 0;
    const computed: { point: HessianPoint; done: number; total: number }[] = [];
    const resumed = await hessianMap({
      ...saddle.input,
      done: new Map(finished.map((p) => [hessianPointKey(p.iy, p.ix), JSON.parse(JSON.stringify(p)) as HessianPoint])),
      onPoint: (point, done, total) => void computed.push({ point, done, total }),
    });
    await saddle.dispose();
    expect(saddle.counter.products).toBe(missing.reduce((s, i) => s + productsPerPoint[i]!, 0));
    expect(saddle.counter.products).toBeGreaterThan(0);
    expect(computed).toEqual(missing.map((i, k) => ({ point: uninterrupted[i], done: finished.length + k + 1, total: 9 })));
    expect(resumed).toEqual(uninterrupted);
  });
});
