import type { LinearOperator } from './hvp.ts';
import { symmetricEigen } from './symmetric-eigen.ts';

export type RitzTarget = 'largest' | 'smallest' | 'both';

export interface LanczosOptions {
  /** Krylov dimension cap (each step is one operator product). Default 20. */
  maxSteps?: number;
  /**
   * Stop when the residual bound β_k·|s_k| of the targeted Ritz value(s) is ≤ tolerance × the
   * largest |Ritz value| (|λ − θ| ≤ residual for symmetric operators). Default 1e-2, the
   * reference's eigsh tol.
   */
  tolerance?: number;
  /** Which end(s) of the spectrum must converge. Default 'both'. */
  target?: RitzTarget;
}

export interface LanczosResult {
  /** Ritz values of the final tridiagonal matrix, ascending. */
  ritzValues: number[];
  largest: number;
  smallest: number;
  /** Residual bounds of the largest and smallest Ritz values. */
  residuals: { largest: number; smallest: number };
  steps: number;
  converged: boolean;
}

function dot64(a: Float64Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/**
 * Lanczos with full reorthogonalization (twice, classical Gram–Schmidt), so the Ritz values stay
 * free of ghost copies despite finite-difference noise in the operator. Basis vectors are stored
 * in float32, arithmetic is float64. Krylov spaces are shift-invariant, so one run yields both
 * ends; callers still shift (eigen-ratio.ts) to follow the reference's λmin procedure.
 */
export async function lanczos(apply: LinearOperator, start: Float32Array, options: LanczosOptions = {}): Promise<LanczosResult> {
  const maxSteps = Math.min(options.maxSteps ?? 20, start.length);
  const tolerance = options.tolerance ?? 1e-2;
  const target = options.target ?? 'both';
  const n = start.length;
  const startNorm = Math.sqrt(start.reduce((s, x) => s + x * x, 0));
  if (!(startNorm > 0)) throw new Error('the Lanczos start vector is zero');
  const basis: Float32Array[] = [Float32Array.from(start, (x) => x / startNorm)];
  const alphas: number[] = [];
  const betas: number[] = [];
  let result: LanczosResult | null = null;
  for (let step = 0; step < maxSteps; step++) {
    const q = basis[step]!;
    const w = Float64Array.from(await apply(q));
    const alpha = dot64(w, q);
    alphas.push(alpha);
    for (let pass = 0; pass < 2; pass++) {
      for (const b of basis) {
        const c = dot64(w, b);
        for (let i = 0; i < n; i++) w[i] -= c * b[i]!;
      }
    }
    const beta = Math.sqrt(w.reduce((s, x) => s + x * x, 0));
    const k = alphas.length;
    const tridiagonal = Array.from({ length: k }, (_, i) =>
      Array.from({ length: k }, (_, j) => (i === j ? alphas[i]! : j === i + 1 ? betas[i]! : j === i - 1 ? betas[j]! : 0)),
    );
    const { values, vectors } = symmetricEigen(tridiagonal);
    const scale = Math.max(Math.abs(values[0]!), Math.abs(values[k - 1]!), Number.MIN_VALUE);
    const residuals = { smallest: beta * Math.abs(vectors[0]![k - 1]!), largest: beta * Math.abs(vectors[k - 1]![k - 1]!) };
    const done =
      (target !== 'smallest' ? residuals.largest <= tolerance * scale : true) &&
      (target !== 'largest' ? residuals.smallest <= tolerance * scale : true);
    // β ≈ 0: the Krylov space is invariant, its Ritz values are exact eigenvalues.
    const exhausted = beta <= 1e-12 * scale || step + 1 === maxSteps;
    result = { ritzValues: values, largest: values[k - 1]!, smallest: values[0]!, residuals, steps: k, converged: done || beta <= 1e-12 * scale };
    if (done || exhausted) break;
    betas.push(beta);
    basis.push(Float32Array.from(w, (x) => x / beta));
  }
  return result!;
}
