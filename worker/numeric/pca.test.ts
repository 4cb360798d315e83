import { describe, expect, it } from 'vitest';
import { principalComponents, projectOntoPlane } from './pca.ts';
import { gaussianStream } from './rng.ts';

const P = 12;

/** Two orthonormal axes of R^P by Gram–Schmidt on seeded Gaussian vectors. */
function orthonormalAxes(seed: number): [Float64Array, Float64Array] {
  const normal = gaussianStream(seed);
  const a = Float64Array.from({ length: P }, normal);
  const b = Float64Array.from({ length: P }, normal);
  const unit = (v: Float64Array) => v.map((x) => x / Math.hypot(...v));
  const e1 = unit(a);
  const along = b.reduce((s, x, i) => s + x * e1[i]!, 0);
  return [e1, unit(b.map((x, i) => x - along * e1[i]!))];
}

/**
 * An ellipse over one full turn around an offset, wide along e1 and narrow along e2: its (a, b)
 * coefficients are centred and uncorrelated, so e1 and e2 are exactly its principal axes; plus
 * isotropic noise.
 */
function trajectory(e1: Float64Array, e2: Float64Array, n: number, noise: number): Float32Array[] {
  const normal = gaussianStream(99);
  return Array.from({ length: n }, (_, i) => {
    const angle = (2 * Math.PI * i) / n;
    const a = 5 * Math.cos(angle);
    const b = 1.5 * Math.sin(angle);
    return Float32Array.from({ length: P }, (_, p) => 0.3 + a * e1[p]! + b * e2[p]! + noise * normal());
  });
}

const dot64 = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, x, i) => s + x * b[i]!, 0);

describe('principalComponents', () => {
  it('finds the known axes of a synthetic trajectory, largest variance first', () => {
    const [e1, e2] = orthonormalAxes(5);
    const { components, explainedVarianceRatio } = principalComponents(trajectory(e1, e2, 30, 1e-3), 2);
    expect(Math.abs(dot64(components[0]!, e1))).toBeGreaterThan(0.9999);
    expect(Math.abs(dot64(components[1]!, e2))).toBeGreaterThan(0.9999);
    expect(explainedVarianceRatio[0]! + explainedVarianceRatio[1]!).toBeGreaterThan(0.9999);
    expect(explainedVarianceRatio[0]!).toBeGreaterThan(explainedVarianceRatio[1]!);
  });

  it('agrees with the eigenpairs of the P×P sample covariance computed directly', () => {
    const [e1, e2] = orthonormalAxes(8);
    const rows = trajectory(e1, e2, 20, 0.2);
    const n = rows.length;
    const mean = Array.from({ length: P }, (_, p) => rows.reduce((s, r) => s + r[p]!, 0) / n);
    const covariance = Array.from({ length: P }, (_, p) =>
      Array.from({ length: P }, (_, q) => rows.reduce((s, r) => s + (r[p]! - mean[p]!) * (r[q]! - mean[q]!), 0) / (n - 1)),
    );
    const trace = covariance.reduce((s, row, p) => s + row[p]!, 0);
    const { components, explainedVariance, explainedVarianceRatio } = principalComponents(rows, 2);
    components.forEach((v, k) => {
      expect(Math.hypot(...v)).toBeCloseTo(1, 6);
      // C·v = λ·v with λ the reported variance: an eigenpair of the covariance itself.
      const cv = covariance.map((row) => dot64(row, v));
      const residual = Math.hypot(...cv.map((x, p) => x - explainedVariance[k]! * v[p]!));
      expect(residual / explainedVariance[k]!).toBeLessThan(1e-5);
      expect(explainedVarianceRatio[k]!).toBeCloseTo(explainedVariance[k]! / trace, 6);
    });
    expect(Math.abs(dot64(components[0]!, components[1]!))).toBeLessThan(1e-6);
  });

  it('refuses rows that span fewer dimensions than asked', () => {
    const row = Float32Array.from({ length: P }, (_, p) => p);
    expect(() => principalComponents([row, row.map((x) => 2 * x), row.map((x) => 3 * x)], 2)).toThrow(/span fewer than 2/);
  });
});

describe('projectOntoPlane', () => {
  it('gives the coefficients by least squares for any basis, and by cos only for an orthonormal one', () => {
    const [e1, e2] = orthonormalAxes(3);
    const dx = Float32Array.from(e1);
    const skewed = Float32Array.from(e2, (v, p) => v + 0.5 * e1[p]!);
    const coefficients: [number, number][] = [[1, 2], [-0.5, 0.25], [0, 0]];
    const points = coefficients.map(([a, b]) => Float32Array.from(dx, (v, p) => a * v + b * skewed[p]!));
    const { cos, leastSquares } = projectOntoPlane(points, dx, skewed);
    leastSquares.forEach(([a, b], i) => {
      expect(a).toBeCloseTo(coefficients[i]![0], 5);
      expect(b).toBeCloseTo(coefficients[i]![1], 5);
    });
    expect(cos[0]![0]).toBeCloseTo(1 + 2 * 0.5, 5);
    const orthonormal = projectOntoPlane(points, dx, Float32Array.from(e2));
    orthonormal.cos.forEach(([a, b], i) => {
      expect(a).toBeCloseTo(orthonormal.leastSquares[i]![0], 5);
      expect(b).toBeCloseTo(orthonormal.leastSquares[i]![1], 5);
    });
  });
});
