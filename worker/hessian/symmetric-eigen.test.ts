import { describe, expect, it } from 'vitest';
import { symmetricEigen } from './symmetric-eigen.ts';

describe('symmetricEigen', () => {
  it('gives the known spectrum of the path-graph Laplacian-like tridiagonal matrix', () => {
    // tridiag(−1, 2, −1) of size n has eigenvalues 2 − 2cos(kπ/(n+1)), k = 1..n.
    const n = 12;
    const m = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 2 : Math.abs(i - j) === 1 ? -1 : 0)));
    const { values } = symmetricEigen(m);
    const expected = Array.from({ length: n }, (_, k) => 2 - 2 * Math.cos(((k + 1) * Math.PI) / (n + 1)));
    values.forEach((v, k) => expect(v).toBeCloseTo(expected[k]!, 12));
  });

  it('returns eigenvectors with A·v = λ·v for a dense indefinite matrix', () => {
    const m = [
      [4, 1, -2, 0.5],
      [1, -3, 0, 2],
      [-2, 0, 1, -1],
      [0.5, 2, -1, 0],
    ];
    const { values, vectors } = symmetricEigen(m);
    expect(values[0]!).toBeLessThan(0);
    values.forEach((lambda, k) => {
      const v = vectors[k]!;
      const av = m.map((row) => row.reduce((s, x, j) => s + x * v[j]!, 0));
      av.forEach((x, i) => expect(x).toBeCloseTo(lambda * v[i]!, 10));
      expect(Math.hypot(...v)).toBeCloseTo(1, 12);
    });
    expect(values.reduce((s, x) => s + x, 0)).toBeCloseTo(4 - 3 + 1 + 0, 10);
  });
});
