import { describe, expect, it } from 'vitest';
import type { LinearOperator } from './hvp.ts';
import { topEigenvalues } from './top-eigenvalues.ts';
import { denseWithSpectrum, evenly } from './test-spectra.ts';

describe('topEigenvalues', () => {
  it('gives the five largest eigenvalues of a dense matrix, a close pair among them, within the tolerance', async () => {
    const spectrum = [40, 25, 24.9, 12, 8, ...evenly(245, -3, 6)];
    const { apply } = denseWithSpectrum(spectrum, 21);
    const result = await topEigenvalues(apply, spectrum.length, null, { count: 5, seed: 4 });
    expect(result.converged).toBe(true);
    [40, 25, 24.9, 12, 8].forEach((lambda, k) => expect(Math.abs(result.eigenvalues[k]! - lambda)).toBeLessThanOrEqual(1e-3 * lambda));
    result.residuals.forEach((r, k) => expect(r).toBeLessThanOrEqual(1e-3 * Math.abs(result.eigenvalues[k]!)));
    expect(result).toMatchObject({ count: 5, tolerance: 1e-3, seed: 4, basisSize: 20 });
    expect(result.products).toBeGreaterThanOrEqual(20);
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });

  it('looks only at the masked entries', async () => {
    const diagonal = [100, 7, 3, -1, 5, 50];
    const apply: LinearOperator = async (v) => Float32Array.from(v, (x, i) => x * diagonal[i]!);
    const result = await topEigenvalues(apply, 6, Uint8Array.from([0, 1, 1, 1, 1, 0]), { count: 2 });
    expect(result.eigenvalues).toEqual([expect.closeTo(7, 5), expect.closeTo(5, 5)]);
    expect(result.converged).toBe(true);
  });
});
