import * as tf from '../engine/tfjs/tf.ts';
import { beforeAll, describe, expect, it } from 'vitest';
import { hessianSummary, type HessianPoint } from '../../contract/metrics/hessian.ts';
import { createGradientEngine } from '../autodiff/index.ts';
import { initTfjs } from '../engine/tfjs/backend.ts';
import { gaussianStream } from '../numeric/rng.ts';
import { hessianMapCells, hessianPointKey, hessianPoints, type HessianCell } from './hessian-map.ts';
import { hessianAt } from './hvp.ts';
import { storedModel } from './test-models.ts';

beforeAll(async () => {
  await initTfjs();
});

/**
 * f(x) = w2·(w1ᵀx) with w = 0 at θ*, mse loss: L = mean (w2·w1ᵀx − y)², whose Hessian at w = 0
 * has the off-diagonal block −2·mean(y·x) only, a symmetric saddle (eigenvalues ±‖2·mean(y·x)‖);
 * mapped over a 3×3 sub-grid of a 5×5 surface grid with exact products, counted in `counter`.
 * `order` picks and orders the sub-grid's points (hessianMapCells: row-major) handed out.
 */
async function saddleMap(order: (cells: HessianCell[]) => HessianCell[] = (cells) => cells) {
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
  const axes = { x: [-1, -0.5, 0, 0.5, 1], y: [-1, -0.5, 0, 0.5, 1] };
  const queue = order(hessianMapCells(axes, 3));
  const points: HessianPoint[] = [];
  try {
    const computed = await hessianPoints({
      hessianAt: (p) => {
        const apply = hessianAt(engine, p);
        return (v) => {
          counter.products++;
          return apply(v);
        };
      },
      theta: stored.theta,
      directions: { x: Float32Array.from([1, 0, 0]), y: Float32Array.from([0, 0, 1]) },
      axes,
      mask: engine.mask,
      maxSteps: 3,
      tolerance: 1e-4,
      seed: 0,
      next: async () => queue.shift() ?? null,
      onPoint: (point) => void points.push(point),
    });
    expect(computed).toBe(points.length);
    return { points, products: counter.products };
  } finally {
    await engine.dispose();
  }
}

describe('hessianPoints', () => {
  it('maps the saddle of a two-layer linear net: |λmin/λmax| = 1 at θ* = 0, and the sub-grid follows the surface grid', async () => {
    const { points } = await saddleMap();
    expect(points.map((p) => [p.ix, p.iy])).toEqual([[0, 0], [2, 0], [4, 0], [0, 2], [2, 2], [4, 2], [0, 4], [2, 4], [4, 4]]);
    const center = points[4]!;
    expect(center.ratio).toBeCloseTo(-1, 3);
    // Away from 0 the net is no longer a symmetric saddle.
    expect(Math.abs(points[0]!.absRatio! - 1)).toBeGreaterThan(0.01);
    const summary = hessianSummary(points);
    expect(summary.absRatioAtCenter).toBeCloseTo(1, 3);
    expect(summary.points).toBe(9);
    expect(summary.nonConvexShare).toBeGreaterThan(0);
  });

  it('computes a point the same bit for bit whatever came before it: every other point, backwards, on a fresh engine, equals the row-major run\'s', async () => {
    const rowMajor = await saddleMap();
    // What a worker holding every other point, or a helper joining late, computes.
    const some = await saddleMap((cells) => cells.filter((_, i) => i % 2 === 1).reverse());
    expect(some.points.map((p) => hessianPointKey(p.iy, p.ix))).toEqual(['4,2', '2,4', '2,0', '0,2']);
    const byKey = new Map(rowMajor.points.map((p) => [hessianPointKey(p.iy, p.ix), p]));
    for (const point of some.points) expect(JSON.stringify(point)).toBe(JSON.stringify(byKey.get(hessianPointKey(point.iy, point.ix))));
    expect(some.products).toBe(some.points.reduce((s, p) => s + p.products, 0));
  });
});
