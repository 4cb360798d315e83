import { gaussianStream } from '../numeric/rng.ts';
import type { LinearOperator } from './hvp.ts';

/** Test support: a dense symmetric matrix A = Q·diag(λ)·Qᵀ with a chosen spectrum, in float64. */
export interface DenseSpectrum {
  /** Row-major n×n. */
  matrix: Float64Array;
  /** eigenvectors[k] is the unit eigenvector of eigenvalues[k]. */
  eigenvectors: Float64Array[];
  eigenvalues: number[];
  apply: LinearOperator;
}

/** A random orthonormal basis of R^n (Gram–Schmidt, twice, of Gaussian vectors). */
function randomOrthonormal(n: number, seed: number): Float64Array[] {
  const normal = gaussianStream(seed);
  const basis: Float64Array[] = [];
  for (let k = 0; k < n; k++) {
    const v = Float64Array.from({ length: n }, () => normal());
    for (let pass = 0; pass < 2; pass++) {
      for (const q of basis) {
        let c = 0;
        for (let i = 0; i < n; i++) c += v[i]! * q[i]!;
        for (let i = 0; i < n; i++) v[i] -= c * q[i]!;
      }
    }
    const length = Math.hypot(...v);
    basis.push(v.map((x) => x / length));
  }
  return basis;
}

export function matrixOperator(matrix: Float64Array, n: number): LinearOperator {
  return async (v) => {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += matrix[i * n + j]! * v[j]!;
      out[i] = s;
    }
    return out;
  };
}

export function denseWithSpectrum(eigenvalues: number[], seed: number): DenseSpectrum {
  const n = eigenvalues.length;
  const eigenvectors = randomOrthonormal(n, seed);
  const matrix = new Float64Array(n * n);
  eigenvalues.forEach((lambda, k) => {
    const q = eigenvectors[k]!;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) matrix[i * n + j] += lambda * q[i]! * q[j]!;
  });
  return { matrix, eigenvectors, eigenvalues, apply: matrixOperator(matrix, n) };
}

/** n values spread evenly over [low, high]. */
export function evenly(n: number, low: number, high: number): number[] {
  return Array.from({ length: n }, (_, i) => (n === 1 ? low : low + ((high - low) * i) / (n - 1)));
}

export function gaussianVector(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, gaussianStream(seed));
}
