import { uniformStream } from '../numeric/rng.ts';
import type { LinearOperator } from './hvp.ts';

export interface TraceEstimate {
  /** Mean of vᵀAv over the Rademacher samples. */
  trace: number;
  /** Standard error of that mean (sample std / √samples); 0 for one sample. */
  standardError: number;
  products: number;
  /** The Rademacher vectors averaged and their seed, so the estimate can be reproduced. */
  samples: number;
  seed: number;
}

export interface HutchinsonOptions {
  /** Rademacher vectors to average. Default 20. */
  samples?: number;
  /** Seed of the ±1 entries. Default 0. */
  seed?: number;
}

/**
 * Hutchinson's trace estimator (PyHessian): tr(A) ≈ mean of vᵀAv with v_i = ±1 at random, 0
 * where mask is 0. Unbiased; exact for a diagonal A, variance 2·Σ_{i≠j} A_ij² per sample.
 */
export async function hutchinsonTrace(apply: LinearOperator, dimension: number, mask: Uint8Array | null, options: HutchinsonOptions = {}): Promise<TraceEstimate> {
  const samples = options.samples ?? 20;
  if (!Number.isInteger(samples) || samples < 1) throw new Error(`samples must be a positive integer, got ${samples}`);
  const seed = options.seed ?? 0;
  const uniform = uniformStream(seed);
  const values: number[] = [];
  for (let s = 0; s < samples; s++) {
    const v = new Float32Array(dimension);
    for (let i = 0; i < dimension; i++) v[i] = mask && !mask[i] ? 0 : uniform() < 0.5 ? -1 : 1;
    const av = await apply(v);
    let quadratic = 0;
    for (let i = 0; i < dimension; i++) quadratic += v[i]! * av[i]!;
    values.push(quadratic);
  }
  const mean = values.reduce((a, b) => a + b, 0) / samples;
  const variance = samples > 1 ? values.reduce((a, b) => a + (b - mean) ** 2, 0) / (samples - 1) : 0;
  return { trace: mean, standardError: Math.sqrt(variance / samples), products: samples, samples, seed };
}
