import { describe, expect, it } from 'vitest';
import { gaussianStream } from '../numeric/rng.ts';
import type { LinearOperator } from './hvp.ts';
import { lanczos, type LanczosResult } from './lanczos.ts';
import { symmetricEigen } from './symmetric-eigen.ts';
import { denseWithSpectrum, evenly, gaussianVector } from './test-spectra.ts';

/** A random symmetric n×n matrix whose spectrum spreads over [low, high] plus an outlier. */
function randomSymmetric(n: number, seed: number): number[][] {
  const normal = gaussianStream(seed);
  const g = Array.from({ length: n }, () => Array.from({ length: n }, () => normal()));
  return g.map((row, i) => row.map((_, j) => (g[i]![j]! + g[j]![i]!) / 2 + (i === j ? (i === 0 ? 25 : 0) : 0)));
}

function operatorOf(m: number[][]): LinearOperator {
  return async (v) => Float32Array.from(m.map((row) => row.reduce((s, x, j) => s + x * v[j]!, 0)));
}

/** The bound lanczos promises for a converged Ritz value θ: |λ − θ| ≤ tol·max(|θ|, tol·‖A‖). */
function allowedError(theta: number, tolerance: number, spectralNorm: number): number {
  return tolerance * Math.max(Math.abs(theta), tolerance * spectralNorm);
}

/** Every converged estimate is within its promised bound of the TRUE end eigenvalue, not just of some eigenvalue. */
function expectHonest(result: LanczosResult, ascending: number[], spectralNorm: number): void {
  const m = ascending.length;
  result.largest.forEach((e, k) => {
    if (e.converged) expect(Math.abs(e.value - ascending[m - 1 - k]!)).toBeLessThanOrEqual(allowedError(e.value, result.tolerance, spectralNorm) * (1 + 1e-6));
  });
  result.smallest.forEach((e, k) => {
    if (e.converged) expect(Math.abs(e.value - ascending[k]!)).toBeLessThanOrEqual(allowedError(e.value, result.tolerance, spectralNorm) * (1 + 1e-6));
  });
}

describe('lanczos', () => {
  it('finds both extreme eigenvalues of a dense symmetric matrix', async () => {
    const m = randomSymmetric(60, 3);
    const exact = symmetricEigen(m).values;
    const start = Float32Array.from({ length: 60 }, gaussianStream(9));
    const result = await lanczos(operatorOf(m), start, { maxSteps: 60, tolerance: 1e-6 });
    expect(result.converged).toBe(true);
    expect(result.largest[0]!.value).toBeCloseTo(exact[59]!, 3);
    expect(result.smallest[0]!.value).toBeCloseTo(exact[0]!, 3);
    expect(result.steps).toBeLessThan(60);
  });

  it('does not stop on an inner cluster: a small-magnitude negative end under a bulk near 0 (the ResNet-20 λmin failure)', async () => {
    // Two large outliers, 300 eigenvalues in [0, 2], λmin = −0.05. The former test (residual ≤
    // tol·max|θ|, no minimum of steps) stopped after 3 products at θ ≈ 0 with converged: true.
    const spectrum = [50, 20, ...evenly(300, 0, 2), -0.05];
    const { apply } = denseWithSpectrum(spectrum, 1);
    const ascending = [...spectrum].sort((a, b) => a - b);
    for (const seed of [1, 2, 3]) {
      const result = await lanczos(apply, gaussianVector(spectrum.length, seed), { target: 'smallest' });
      expect(result.converged).toBe(true);
      expect(result.steps).toBeGreaterThanOrEqual(20);
      // |θ| < tol·‖A‖, so the bound is tol²·‖A‖ = 5e-3: the sign and size of λmin are right.
      expect(Math.abs(result.smallest[0]!.value - -0.05)).toBeLessThanOrEqual(5e-3);
      expectHonest(result, ascending, 50);
    }
  });

  it('takes one ARPACK-sized basis (20 products) for λmax of a well-separated top eigenvalue, as the reference\'s eigsh does', async () => {
    const spectrum = [50, 20, ...evenly(300, -1, 2)];
    const { apply } = denseWithSpectrum(spectrum, 2);
    const result = await lanczos(apply, gaussianVector(spectrum.length, 4), { target: 'largest' });
    expect(result.converged).toBe(true);
    expect(result.steps).toBe(20);
    expect(result.restarts).toBe(0);
    expect(result.largest[0]!.value).toBeCloseTo(50, 6);
  });

  it('restarts (bounded basis) until clustered top eigenvalues converge, and resolves each of them', async () => {
    const spectrum = [10, 9.9, 9.8, ...evenly(297, -1, 9.5)];
    const { apply } = denseWithSpectrum(spectrum, 3);
    const ascending = [...spectrum].sort((a, b) => a - b);
    const result = await lanczos(apply, gaussianVector(spectrum.length, 5), { target: 'largest', count: 3, tolerance: 1e-5 });
    expect(result.converged).toBe(true);
    expect(result.restarts).toBeGreaterThan(0);
    expect(result.largest.map((e) => e.value)).toEqual([expect.closeTo(10, 3), expect.closeTo(9.9, 3), expect.closeTo(9.8, 3)]);
    expectHonest(result, ascending, 10);
  });

  it('pins λmin ≈ 0 of a positive semi-definite matrix (zero eigenvalues) to tol² of the spectrum\'s scale', async () => {
    const spectrum = [...new Array<number>(30).fill(0), ...evenly(270, 0.01, 5)];
    const { apply } = denseWithSpectrum(spectrum, 4);
    const result = await lanczos(apply, gaussianVector(spectrum.length, 6), { target: 'smallest' });
    expect(result.converged).toBe(true);
    expect(Math.abs(result.smallest[0]!.value)).toBeLessThanOrEqual(1e-4 * 5);
    expectHonest(result, [...spectrum].sort((a, b) => a - b), 5);
  });

  it('finds the top eigenvalue from a start vector nearly orthogonal to its eigenvector, or says it did not converge', async () => {
    // λmax = 3.5 just above a bulk in [−1, 3]: its component in the start vector is 1e-6.
    const spectrum = [3.5, ...evenly(299, -1, 3)];
    const { apply, eigenvectors } = denseWithSpectrum(spectrum, 5);
    const top = eigenvectors[0]!;
    const start = Float64Array.from(gaussianVector(spectrum.length, 7));
    const along = start.reduce((s, x, i) => s + x * top[i]!, 0);
    const length = Math.hypot(...start);
    const nearlyOrthogonal = Float32Array.from(start, (x, i) => x + (1e-6 * length - along) * top[i]!);
    const result = await lanczos(apply, nearlyOrthogonal, { target: 'largest' });
    expectHonest(result, [...spectrum].sort((a, b) => a - b), 3.5);
    expect(result.converged).toBe(true);
    expect(result.largest[0]!.value).toBeGreaterThan(3.25); // λmax, not the bulk's edge at 3
  });

  it('continues past an invariant subspace with random vectors and stops exactly when the domain is exhausted', async () => {
    // Start vector in the span of two eigenvectors: the Krylov space is invariant after 2 products.
    const spectrum = [4, 1, -2, 0.5, 3];
    const diagonal: LinearOperator = async (v) => Float32Array.from(v, (x, i) => x * spectrum[i]!);
    const result = await lanczos(diagonal, Float32Array.from([0, 1, 0, 1, 0]), {});
    expect(result.converged).toBe(true);
    expect(result.largest[0]!.value).toBeCloseTo(4, 6);
    expect(result.smallest[0]!.value).toBeCloseTo(-2, 6);
    expect(result.steps).toBe(5);
  });

  it('stays in the masked domain of a rank-deficient operator', async () => {
    // P·A·P: 12 of 40 entries are the domain, A's restriction there has spectrum [0.5, 4]; the
    // operator is 0 on the other 28 (eigenvalue 0), which the run must not find.
    const domain = 12;
    const restricted = denseWithSpectrum(evenly(domain, 0.5, 4), 6);
    const entries = Array.from({ length: domain }, (_, k) => 3 * k + 1);
    const mask = new Uint8Array(40);
    entries.forEach((e) => (mask[e] = 1));
    const apply: LinearOperator = async (v) => {
      const inner = await restricted.apply(Float32Array.from(entries, (e) => v[e]!));
      const out = new Float32Array(40);
      entries.forEach((e, k) => (out[e] = inner[k]!));
      return out;
    };
    const normal = gaussianStream(8);
    const start = Float32Array.from({ length: 40 }, (_, i) => (mask[i] ? normal() : 0));
    const result = await lanczos(apply, start, { mask, tolerance: 1e-6 });
    expect(result.converged).toBe(true);
    expect(result.smallest[0]!.value).toBeCloseTo(0.5, 5);
    expect(result.largest[0]!.value).toBeCloseTo(4, 5);
    expect(result.steps).toBe(domain);
  });

  it('reports converged: false when it runs out of products, and never on a wrong value', async () => {
    const spectrum = [...evenly(300, 0, 1)];
    const { apply } = denseWithSpectrum(spectrum, 7);
    const result = await lanczos(apply, gaussianVector(300, 9), { target: 'smallest', tolerance: 1e-9, maxSteps: 30 });
    expect(result.converged).toBe(false);
    expect(result.steps).toBe(30);
    expectHonest(result, spectrum, 1);
  });

  it('stops at once with NaN estimates when the operator returns non-finite values', async () => {
    let products = 0;
    const broken: LinearOperator = async (v) => {
      products++;
      return Float32Array.from(v, () => NaN);
    };
    const result = await lanczos(broken, gaussianVector(50, 1), {});
    expect(products).toBe(1);
    expect(result.converged).toBe(false);
    expect(result.largest[0]!.value).toBeNaN();
  });
});
