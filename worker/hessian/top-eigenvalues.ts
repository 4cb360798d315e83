import { gaussianStream } from '../numeric/rng.ts';
import { maskedGaussian } from './eigen-ratio.ts';
import type { LinearOperator } from './hvp.ts';
import { DEFAULT_MAX_STEPS, lanczos } from './lanczos.ts';

/** PyHessian's eigenvalues(top_n) defaults: top_n = 1, tol = 1e-3. */
export const TOP_EIGENVALUES_DEFAULTS = { count: 1, tolerance: 1e-3, maxSteps: DEFAULT_MAX_STEPS, seed: 0 } as const;

export interface TopEigenvaluesOptions {
  /** How many of the largest eigenvalues. Default 1. */
  count?: number;
  /** lanczos.ts' residual test. Default 1e-3 (PyHessian's power-iteration tol). */
  tolerance?: number;
  /** Operator products at most. Default 200. */
  maxSteps?: number;
  /** Seed of the Gaussian start vector. Default 0. */
  seed?: number;
}

/** Plain data for a JSON resource: what was found and how. */
export interface TopEigenvalues {
  /** The `count` largest eigenvalues, descending. */
  eigenvalues: number[];
  /** Residual bound of each (some eigenvalue lies within it). */
  residuals: number[];
  converged: boolean;
  products: number;
  restarts: number;
  count: number;
  tolerance: number;
  basisSize: number;
  seed: number;
}

/**
 * The largest eigenvalues of a symmetric operator (PyHessian's eigenvalues(top_n)), by restarted
 * Lanczos on the top end rather than PyHessian's deflated power iteration: the same numbers,
 * with a convergence test per eigenvalue and far fewer products when the top ones are close.
 */
export async function topEigenvalues(apply: LinearOperator, dimension: number, mask: Uint8Array | null, options: TopEigenvaluesOptions = {}): Promise<TopEigenvalues> {
  const { count, tolerance, maxSteps, seed } = { ...TOP_EIGENVALUES_DEFAULTS, ...options };
  const start = maskedGaussian(gaussianStream(seed), dimension, mask);
  const run = await lanczos(apply, start, { target: 'largest', count, tolerance, maxSteps, mask, seed: seed + 1 });
  return {
    eigenvalues: run.largest.map((e) => e.value),
    residuals: run.largest.map((e) => e.residual),
    converged: run.converged,
    products: run.steps,
    restarts: run.restarts,
    count,
    tolerance,
    basisSize: run.basisSize,
    seed,
  };
}
