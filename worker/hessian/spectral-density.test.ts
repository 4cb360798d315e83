import { describe, expect, it } from 'vitest';
import type { LinearOperator } from './hvp.ts';
import { spectralDensity, type SpectralDensity } from './spectral-density.ts';
import { denseWithSpectrum, evenly } from './test-spectra.ts';

/** ∫ x^power·ρ(x) dx by the trapezoid rule on the density's own grid. */
function moment(result: SpectralDensity, power: number): number {
  const { grid, density } = result;
  let sum = 0;
  for (let j = 1; j < grid.length; j++) {
    sum += 0.5 * (grid[j]! - grid[j - 1]!) * (grid[j]! ** power * density[j]! + grid[j - 1]! ** power * density[j - 1]!);
  }
  return sum;
}

/** Σ_{i≠j} M_ij² of a row-major n×n matrix: Var(vᵀMv) = 2·that for Rademacher v. */
function offDiagonalSquares(m: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) s += m[i * n + j]! ** 2;
  return s;
}

describe('spectralDensity', () => {
  it('integrates to 1 and matches tr(A)/n and tr(A²)/n of a dense matrix within the stochastic error', async () => {
    const n = 150;
    const spectrum = [30, 12, ...evenly(140, -2, 4), ...new Array<number>(8).fill(0)];
    const { matrix } = denseWithSpectrum(spectrum, 31);
    const squared = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) squared[i * n + j] += matrix[i * n + k]! * matrix[k * n + j]!;
    const apply = denseWithSpectrum(spectrum, 31).apply;
    const vectors = 8;
    const result = await spectralDensity(apply, n, null, { steps: 40, vectors, seed: 3 });
    expect(moment(result, 0)).toBeCloseTo(1, 6);
    const trace = spectrum.reduce((s, x) => s + x, 0) / n;
    const traceOfSquare = spectrum.reduce((s, x) => s + x * x, 0) / n;
    const standardError = (m: Float64Array) => Math.sqrt((2 * offDiagonalSquares(m, n)) / vectors) / n;
    expect(Math.abs(moment(result, 1) - trace)).toBeLessThan(4 * standardError(matrix));
    expect(Math.abs(moment(result, 2) - result.sigma ** 2 - traceOfSquare)).toBeLessThan(4 * standardError(squared));
    // Each quadrature rule's weights sum to 1; the record says how it was made.
    result.quadrature.forEach((rule) => expect(rule.weights.reduce((s, w) => s + w, 0)).toBeCloseTo(1, 10));
    expect(result).toMatchObject({ steps: 40, vectors: 8, seed: 3, products: 320 });
    expect(result.grid).toHaveLength(1000);
  });

  it('peaks at the eigenvalues of a diagonal matrix, with masses equal to their multiplicities', async () => {
    // Three distinct eigenvalues: Lanczos is exact after 3 products, and Rademacher weights are count/n exactly.
    const diagonal = [...new Array<number>(20).fill(-1), ...new Array<number>(50).fill(2), ...new Array<number>(30).fill(5)];
    const apply: LinearOperator = async (v) => Float32Array.from(v, (x, i) => x * diagonal[i]!);
    const result = await spectralDensity(apply, 100, null, { steps: 10, seed: 1 });
    expect(result.quadrature[0]!.steps).toBe(3);
    expect(result.quadrature[0]!.nodes).toEqual([expect.closeTo(-1, 5), expect.closeTo(2, 5), expect.closeTo(5, 5)]);
    expect(result.quadrature[0]!.weights).toEqual([expect.closeTo(0.2, 5), expect.closeTo(0.5, 5), expect.closeTo(0.3, 5)]);
    const { grid, density } = result;
    const peaks = grid.filter((_, j) => j > 0 && j < grid.length - 1 && density[j]! > density[j - 1]! && density[j]! >= density[j + 1]! && density[j]! > 1);
    expect(peaks).toHaveLength(3);
    const spacing = grid[1]! - grid[0]!;
    [-1, 2, 5].forEach((lambda, k) => expect(Math.abs(peaks[k]! - lambda)).toBeLessThanOrEqual(spacing));
    // Mass within ±4σ of each eigenvalue.
    const massNear = (lambda: number) => grid.reduce((s, x, j) => s + (Math.abs(x - lambda) < 4 * result.sigma ? density[j]! * spacing : 0), 0);
    expect(massNear(-1)).toBeCloseTo(0.2, 3);
    expect(massNear(2)).toBeCloseTo(0.5, 3);
    expect(massNear(5)).toBeCloseTo(0.3, 3);
  });

  it('takes the masked entries only', async () => {
    const diagonal = [9, 1, 1, 3, 3, 9];
    const apply: LinearOperator = async (v) => Float32Array.from(v, (x, i) => x * diagonal[i]!);
    const result = await spectralDensity(apply, 6, Uint8Array.from([0, 1, 1, 1, 1, 0]), { steps: 6 });
    expect(result.quadrature[0]!.nodes).toEqual([expect.closeTo(1, 5), expect.closeTo(3, 5)]);
    expect(result.grid.at(-1)!).toBeLessThan(9);
  });
});
