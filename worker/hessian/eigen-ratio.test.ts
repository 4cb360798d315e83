import { describe, expect, it } from 'vitest';
import { gaussianStream } from '../numeric/rng.ts';
import { extremeEigenvalues } from './eigen-ratio.ts';
import type { LinearOperator } from './hvp.ts';
import { symmetricEigen } from './symmetric-eigen.ts';
import { denseWithSpectrum, evenly } from './test-spectra.ts';

/** A random symmetric n×n matrix whose spectrum spreads over [low, high] plus an outlier. */
function randomSymmetric(n: number, seed: number): number[][] {
  const normal = gaussianStream(seed);
  const g = Array.from({ length: n }, () => Array.from({ length: n }, () => normal()));
  return g.map((row, i) => row.map((_, j) => (g[i]![j]! + g[j]![i]!) / 2 + (i === j ? (i === 0 ? 25 : 0) : 0)));
}

function operatorOf(m: number[][]): LinearOperator {
  return async (v) => Float32Array.from(m.map((row) => row.reduce((s, x, j) => s + x * v[j]!, 0)));
}

describe('extremeEigenvalues', () => {
  it('matches the exact λmin and λmax of an indefinite matrix', async () => {
    const m = randomSymmetric(40, 5);
    const exact = symmetricEigen(m).values;
    const result = await extremeEigenvalues(operatorOf(m), 40, null, { lanczos: { maxSteps: 40, tolerance: 1e-6 } });
    expect(result.lambdaMax).toBeCloseTo(exact[39]!, 3);
    expect(result.lambdaMin).toBeCloseTo(exact[0]!, 3);
    expect(result.shift).toBeCloseTo(0.51 * exact[39]!, 3);
    expect(result.ratio).toBeCloseTo(exact[0]! / exact[39]!, 4);
  });

  it('finds λmin of a positive-definite operator (where the reference\'s largest-magnitude shift run would not)', async () => {
    const diagonal = Array.from({ length: 30 }, (_, i) => 1 + i / 29); // spectrum [1, 2]: λmin = 0.5·λmax
    const apply: LinearOperator = async (v) => Float32Array.from(v, (x, i) => x * diagonal[i]!);
    const result = await extremeEigenvalues(apply, 30, null, { lanczos: { maxSteps: 30, tolerance: 1e-7 } });
    expect(result.lambdaMax).toBeCloseTo(2, 4);
    expect(result.lambdaMin).toBeCloseTo(1, 4);
  });

  it('searches only the unmasked subspace', async () => {
    // Entry 0 (masked, eigenvalue −100) must not be found.
    const diagonal = [-100, 3, 1, -2, 0.5];
    const apply: LinearOperator = async (v) => Float32Array.from(v, (x, i) => x * diagonal[i]!);
    const result = await extremeEigenvalues(apply, 5, Uint8Array.from([0, 1, 1, 1, 1]), { lanczos: { maxSteps: 4, tolerance: 1e-8 } });
    expect(result.lambdaMax).toBeCloseTo(3, 5);
    expect(result.lambdaMin).toBeCloseTo(-2, 5);
  });

  it('finds the small negative λmin of a network-like spectrum within the reference\'s tolerance (error ≤ tol·|λmin − s|) in one basis of 20 products, half the reference\'s two eigsh runs', async () => {
    // Outliers 100, 60, 40; a bulk of both signs near 0; a negative tail at −3 (λmin) and −2.7.
    const normal = gaussianStream(11);
    const spectrum = [100, 60, 40, ...Array.from({ length: 395 }, () => 0.3 * normal() * Math.abs(normal())), -3, -2.7];
    const { apply } = denseWithSpectrum(spectrum, 11);
    const result = await extremeEigenvalues(apply, spectrum.length, null, { seed: 3 });
    expect(result.converged).toBe(true);
    expect(result.lambdaMax).toBeCloseTo(100, 4);
    expect(Math.abs(result.lambdaMin - -3)).toBeLessThanOrEqual(1e-2 * Math.abs(-3 - result.shift));
    expect(result.lambdaMin).toBeLessThan(-2.9);
    expect(result.products).toBe(20);
    expect(result.residuals.lambdaMin).toBeLessThanOrEqual(1e-2 * Math.abs(result.lambdaMin - result.shift));
  });

  it('gives the true λmin of a dense positive-definite matrix, not λmax − s', async () => {
    const spectrum = evenly(200, 0.3, 10);
    const { apply } = denseWithSpectrum(spectrum, 12);
    const result = await extremeEigenvalues(apply, 200, null, { seed: 1 });
    expect(result.converged).toBe(true);
    expect(Math.abs(result.lambdaMax - 10)).toBeLessThanOrEqual(1e-2 * result.lambdaMax);
    expect(Math.abs(result.lambdaMin - 0.3)).toBeLessThanOrEqual(1e-2 * Math.abs(0.3 - result.shift));
    expect(result.ratio!).toBeGreaterThan(0);
  });

  it('gives λmin/λmax ≈ 0 for a positive semi-definite matrix with zero eigenvalues', async () => {
    const spectrum = [...new Array<number>(40).fill(0), ...evenly(160, 0.05, 8)];
    const { apply } = denseWithSpectrum(spectrum, 13);
    const result = await extremeEigenvalues(apply, 200, null, { seed: 2 });
    expect(result.converged).toBe(true);
    expect(Math.abs(result.ratio!)).toBeLessThanOrEqual(1e-2 * 0.51 * 1.01);
  });

  it('finds λmin of a rank-deficient masked operator on its domain, not the 0 of the masked entries', async () => {
    // 30 of 100 entries carry a positive-definite block with spectrum [1, 6]; the operator is 0 elsewhere.
    const entries = Array.from({ length: 30 }, (_, k) => 3 * k + 2);
    const mask = new Uint8Array(100);
    entries.forEach((e) => (mask[e] = 1));
    const block = denseWithSpectrum(evenly(30, 1, 6), 14);
    const apply: LinearOperator = async (v) => {
      const inner = await block.apply(Float32Array.from(entries, (e) => v[e]!));
      const out = new Float32Array(100);
      entries.forEach((e, k) => (out[e] = inner[k]!));
      return out;
    };
    const result = await extremeEigenvalues(apply, 100, mask, { lanczos: { tolerance: 1e-6 } });
    expect(result.converged).toBe(true);
    expect(result.lambdaMax).toBeCloseTo(6, 4);
    expect(result.lambdaMin).toBeCloseTo(1, 4);
  });
});
