import { describe, expect, it } from 'vitest';
import { Value } from 'typebox/value';
import { linspace, type Axis, type SurfaceResult } from '../surface.ts';
import { ContractError } from '../errors.ts';
import { SurfaceMetrics, surfaceMetrics } from './surface-metrics.ts';

/** A surface sampled from f on linspace axes; f may return NaN/Infinity for holes. */
function sampled(f: (x: number, y: number) => number, x: Axis, y: Axis | null): SurfaceResult {
  const xs = linspace(x);
  const ys = y ? linspace(y) : [0];
  const loss = ys.map((b) => xs.map((a) => (Number.isFinite(f(a, b)) ? f(a, b) : null)));
  return {
    id: 'analytic',
    kind: y ? '2d' : '1d',
    axes: { x: xs, y: y ? ys : null },
    shape: [ys.length, xs.length],
    loss,
    accuracy: ys.map((b) => xs.map((a) => 1 / (1 + f(a, b)))),
    nonFinite: [],
    provenance: {} as SurfaceResult['provenance'],
  };
}

const UNIT_AXIS: Axis = { min: -1, max: 1, num: 9 }; // step 0.25, contains 0

describe('surfaceMetrics on a paraboloid L = a(α² + β²) + c', () => {
  const a = 3;
  const c = 0.2;
  const surface = sampled((x, y) => a * (x * x + y * y) + c, UNIT_AXIS, UNIT_AXIS);
  const metrics = surfaceMetrics(surface, { radius: 0.5 });

  it('conforms to its schema', () => {
    expect(Value.Check(SurfaceMetrics, metrics)).toBe(true);
  });

  it('finds θ* at the exact centre and the minimum there', () => {
    expect(metrics.center).toMatchObject({ ix: 4, iy: 4, x: 0, y: 0, loss: c, exact: true });
    expect(metrics.center.accuracy).toBeCloseTo(1 / (1 + c), 12);
    expect(metrics.minimum).toMatchObject({ ix: 4, iy: 4, loss: c });
    expect(metrics.maximumLoss).toBeCloseTo(2 * a + c, 12);
  });

  it('has exactly one strict local minimum', () => {
    expect(metrics.roughness.strictLocalMinima).toBe(1);
  });

  it('has the closed-form sharpness within r = 0.5', () => {
    // Points within 0.5 of the centre: 4 at distance 0.25 (rise a/16), 4 at 0.25√2 (a/8), 4 at 0.5 (a/4).
    expect(metrics.sharpness.points).toBe(12);
    expect(metrics.sharpness.maxRise).toBeCloseTo(a * 0.25, 12);
    expect(metrics.sharpness.meanRise).toBeCloseTo((a * (1 / 16 + 1 / 8 + 1 / 4)) / 3, 12);
  });

  it('has basin shares given by the disc a·ρ² ≤ τ', () => {
    // τ = 1: ρ² ≤ 1/3 → points with (i² + j²)/16 ≤ 1/3, i.e. i² + j² ≤ 5: 1 + 4 + 4 + 4 + 8 = 21 of 81.
    const tau1 = metrics.basin.find((b) => b.tau === 1)!;
    expect(tau1.share).toBeCloseTo(21 / 81, 12);
    expect(tau1.area).toBeCloseTo((21 / 81) * 4, 12);
    // τ = 0.1: only the centre.
    expect(metrics.basin.find((b) => b.tau === 0.1)!.share).toBeCloseTo(1 / 81, 12);
    expect(metrics.nearMinimum.map((n) => n.delta)).toEqual([0.1, 1]);
    expect(metrics.nearMinimum[1]!.share).toBeCloseTo(21 / 81, 12);
  });

  it('is convex everywhere with in-plane eigenvalues 2a', () => {
    expect(metrics.curvature.nonConvexShare).toBe(0);
    expect(metrics.curvature.points).toBe(49);
    expect(metrics.curvature.atCenter!.lambdaMin).toBeCloseTo(2 * a, 9);
    expect(metrics.curvature.atCenter!.lambdaMax).toBeCloseTo(2 * a, 9);
    expect(metrics.curvature.atCenter!.ratio).toBeCloseTo(1, 9);
    expect(metrics.curvature.maxNegativeRatio).toBe(0);
  });
});

describe('surfaceMetrics on saddles', () => {
  it('gives λmin/λmax = −1 for L = α² − β² everywhere', () => {
    const metrics = surfaceMetrics(sampled((x, y) => x * x - y * y, UNIT_AXIS, UNIT_AXIS));
    expect(metrics.curvature.atCenter!.ratio).toBeCloseTo(-1, 9);
    expect(metrics.curvature.nonConvexShare).toBe(1);
    expect(metrics.curvature.meanNegativeRatio).toBeCloseTo(1, 9);
    expect(metrics.curvature.maxNegativeRatio).toBeCloseTo(1, 9);
    expect(metrics.roughness.strictLocalMinima).toBe(0);
  });

  it('gives −1 for the rotated saddle L = αβ (off-diagonal Hessian)', () => {
    const metrics = surfaceMetrics(sampled((x, y) => x * y, UNIT_AXIS, UNIT_AXIS));
    expect(metrics.curvature.atCenter!.lambdaMin).toBeCloseTo(-1, 9);
    expect(metrics.curvature.atCenter!.lambdaMax).toBeCloseTo(1, 9);
    expect(metrics.curvature.atCenter!.ratio).toBeCloseTo(-1, 9);
  });
});

describe('surfaceMetrics on a plane L = 2α − β + 5', () => {
  const metrics = surfaceMetrics(sampled((x, y) => 2 * x - y + 5, { min: -1, max: 1, num: 11 }, { min: -0.5, max: 0.5, num: 6 }));

  it('has no local minimum, no curvature and its slope as mean absolute slope', () => {
    expect(metrics.roughness.strictLocalMinima).toBe(0);
    expect(metrics.curvature.nonConvexShare).toBe(0);
    expect(metrics.curvature.meanNegativeRatio).toBeNull();
    // 6 rows × 10 horizontal pairs with slope 2, 5 × 11 vertical pairs with slope 1.
    expect(metrics.roughness.meanAbsoluteSlope).toBeCloseTo((60 * 2 + 55 * 1) / 115, 9);
    expect(metrics.roughness.totalVariation).toBeCloseTo(60 * 0.4 + 55 * 0.2, 9);
  });

  it('uses the grid point nearest (0, 0) as θ* when the grid misses the origin', () => {
    // y = linspace(-0.5, 0.5, 6) = ±0.1, ±0.3, ±0.5: the nearest is β = −0.1 (lower index on the tie).
    expect(metrics.center.exact).toBe(false);
    expect(metrics.center.x).toBe(0);
    expect(metrics.center.y).toBeCloseTo(-0.1, 12);
    expect(metrics.center.loss).toBeCloseTo(5.1, 12);
    expect(metrics.minimum).toMatchObject({ ix: 0, iy: 5, loss: expect.closeTo(2.5, 9) });
  });
});

describe('surfaceMetrics with non-finite points', () => {
  const hole = (x: number, y: number) => (Math.abs(x - 0.5) < 1e-9 && y >= 0 ? NaN : x * x + y * y);
  const metrics = surfaceMetrics(sampled(hole, UNIT_AXIS, UNIT_AXIS), { radius: 0.5 });

  it('counts them and keeps them out of every figure', () => {
    expect(metrics.points).toEqual({ total: 81, finite: 76, nonFinite: 5 });
    expect(metrics.sharpness.nonFinite).toBe(1);
    expect(metrics.sharpness.points).toBe(11);
    expect(Number.isFinite(metrics.roughness.totalVariation)).toBe(true);
    expect(metrics.curvature.points).toBeLessThan(49);
    expect(metrics.minimum.loss).toBe(0);
  });

  it('rejects a surface with no finite point', () => {
    expect(() => surfaceMetrics(sampled(() => Infinity, UNIT_AXIS, UNIT_AXIS))).toThrow(ContractError);
  });
});

describe('surfaceMetrics on a 1D line', () => {
  it('finds the two minima of a double well and its concave middle', () => {
    // f(α) = (α² − 0.25)²: minima at ±0.5, a local maximum at 0 with f″(0) = −1.
    const metrics = surfaceMetrics(sampled((x) => (x * x - 0.25) ** 2, { min: -1, max: 1, num: 41 }, null), { radius: 0.1 });
    expect(metrics.kind).toBe('1d');
    expect(metrics.center).toMatchObject({ ix: 20, iy: 0, y: null, exact: true });
    expect(metrics.roughness.strictLocalMinima).toBe(2);
    expect(metrics.curvature.atCenter!.lambdaMin).toBeCloseTo(-1, 2);
    expect(metrics.curvature.nonConvexShare).toBeGreaterThan(0);
    expect(metrics.curvature.meanNegativeRatio).toBeNull();
    expect(metrics.sharpness.points).toBe(4);
    expect(metrics.sharpness.maxRise).toBeLessThan(0);
    expect(metrics.basin[0]!.area).toBeCloseTo(metrics.basin[0]!.share * 2, 12);
  });
});

describe('surfaceMetrics with standard errors (lossStdError)', () => {
  // A plateau at 1 with a deep minimum at θ* (depth 1) and a shallow one at (ix, iy) = (2, 2) (depth 0.01).
  const shallowDepth = 0.01;
  const surface = sampled((x, y) => (x === 0 && y === 0 ? 0 : x === -0.5 && y === -0.5 ? 1 - shallowDepth : 1), UNIT_AXIS, UNIT_AXIS);
  const withErrors = (se: number): SurfaceResult => ({ ...surface, lossStdError: surface.loss.map((row) => row.map(() => se)) });
  // The shallow minimum is within the noise when its depth is at most 2·sqrt(se² + se²).
  const threshold = shallowDepth / (2 * Math.SQRT2);

  it('counts both minima without standard errors', () => {
    const metrics = surfaceMetrics(surface);
    expect(metrics.roughness.strictLocalMinima).toBe(2);
    expect(metrics.roughness.minimaWithinNoise).toBeUndefined();
  });

  it('does not count a minimum whose depth is within 2 standard errors of the difference, and reports it apart', () => {
    const noisy = surfaceMetrics(withErrors(threshold * 1.01));
    expect(Value.Check(SurfaceMetrics, noisy)).toBe(true);
    expect(noisy.roughness.strictLocalMinima).toBe(1);
    expect(noisy.roughness.minimaWithinNoise).toBe(1);
    const quiet = surfaceMetrics(withErrors(threshold * 0.99));
    expect(quiet.roughness.strictLocalMinima).toBe(2);
    expect(quiet.roughness.minimaWithinNoise).toBe(0);
  });

  it('gives the standard errors at θ* and the minimum, and of the mean rise', () => {
    const metrics = surfaceMetrics(withErrors(0.01), { radius: 0.25 });
    expect(metrics.center.lossStdError).toBe(0.01);
    expect(metrics.minimum.lossStdError).toBe(0.01);
    // 4 points at distance 0.25: sqrt(4·0.01²/16 + 0.01²).
    expect(metrics.sharpness.meanRiseStdError).toBeCloseTo(Math.sqrt((4 * 0.01 ** 2) / 16 + 0.01 ** 2), 15);
  });
});
