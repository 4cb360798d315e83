import { describe, expect, it } from 'vitest';
import { hessianSummary, resolveHessianRequest, subgridIndices, type HessianPoint } from './hessian.ts';

describe('subgridIndices', () => {
  it('spreads m indices evenly over the grid, ends included', () => {
    expect(subgridIndices(51, 5)).toEqual([0, 13, 25, 38, 50]);
    expect(subgridIndices(5, 3)).toEqual([0, 2, 4]);
    expect(subgridIndices(3, 9)).toEqual([0, 1, 2]);
    expect(subgridIndices(1, 5)).toEqual([0]);
  });
});

describe('resolveHessianRequest', () => {
  it('fills defaults and caps samples at the surface\'s', () => {
    expect(resolveHessianRequest({}, 1000)).toEqual({ points: 5, maxSteps: 200, tolerance: 0.01, seed: 0, samples: 1000, parameters: 'weights' });
    expect(resolveHessianRequest({ samples: 5000, points: 3 }, 1000)).toMatchObject({ samples: 1000, points: 3 });
  });
});

describe('hessianSummary', () => {
  const point = (x: number, y: number, lambdaMin: number | null, lambdaMax: number | null): HessianPoint => {
    const ratio = lambdaMin !== null && lambdaMax ? lambdaMin / lambdaMax : null;
    return { ix: 0, iy: 0, x, y, lambdaMin, lambdaMax, ratio, absRatio: ratio === null ? null : Math.abs(ratio), products: 4, converged: true };
  };
  it('averages |λmin/λmax|, counts negative curvature beyond the floor and skips failed points', () => {
    const summary = hessianSummary([
      point(0, 0, -0.001, 1), // within 1 % of λmax: not counted as negative curvature
      point(1, 0, -0.5, 2),
      point(0, 1, 0.2, 4),
      point(1, 1, null, null),
    ]);
    expect(summary.points).toBe(3);
    expect(summary.meanAbsRatio).toBeCloseTo((0.001 + 0.25 + 0.05) / 3, 12);
    expect(summary.maxAbsRatio).toBeCloseTo(0.25, 12);
    expect(summary.absRatioAtCenter).toBeCloseTo(0.001, 12);
    expect(summary.nonConvexShare).toBeCloseTo(1 / 3, 12);
  });

  it('takes every point with a ratio, however small its curvature (exact products: no plateau noise to leave out); λmax = 0 has none', () => {
    const summary = hessianSummary([
      point(0, 0, -0.2, 10),
      point(1, 0, -4e-5, 4e-5),
      point(0, 1, 0, 0),
      point(1, 1, 1, 2),
    ]);
    expect(summary.points).toBe(4);
    expect(summary.meanAbsRatio).toBeCloseTo((0.02 + 1 + 0.5) / 3, 12);
    expect(summary.maxAbsRatio).toBeCloseTo(1, 12);
    expect(summary.nonConvexShare).toBeCloseTo(2 / 3, 12);
    expect(hessianSummary([point(0, 0, 0, 0), point(1, 0, 0, 0)])).toMatchObject({ points: 2, meanAbsRatio: null, absRatioAtCenter: null, nonConvexShare: null });
  });
});
