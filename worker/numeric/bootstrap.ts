import { percentile } from '../../contract/metrics/percentile.ts';
import { uniformStream } from './rng.ts';

export interface BootstrapSummary {
  /** 2.5th and 97.5th percentiles of the resampled means. */
  low: number;
  high: number;
  /** Standard deviation (n − 1) of the resampled means. */
  stdError: number;
}

/**
 * The means of `resamples` resamples with replacement of `losses`, index i of resample b drawn
 * as floor(u·n) from uniformStream(seed) in order (b outer, i inner): the same resamples for every
 * vector of the same length, so the points of a surface are resampled alike.
 */
export function bootstrapMeans(losses: Float64Array, resamples: number, seed: number): Float64Array {
  const uniform = uniformStream(seed);
  const n = losses.length;
  const means = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += losses[Math.floor(uniform() * n)]!;
    means[b] = sum / n;
  }
  return means;
}

/** The 95 % percentile interval and standard error of the bootstrap means of `losses`. */
export function bootstrapSummary(losses: Float64Array, resamples: number, seed: number): BootstrapSummary {
  const means = bootstrapMeans(losses, resamples, seed).sort();
  let sum = 0;
  for (const m of means) sum += m;
  const mean = sum / resamples;
  let squares = 0;
  for (const m of means) squares += (m - mean) ** 2;
  return { low: percentile(means, 0.025), high: percentile(means, 0.975), stdError: Math.sqrt(squares / (resamples - 1)) };
}
