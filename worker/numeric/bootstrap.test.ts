import { describe, expect, it } from 'vitest';
import { percentile } from '../../contract/metrics/percentile.ts';
import { bootstrapMeans, bootstrapSummary } from './bootstrap.ts';
import { gaussianStream } from './rng.ts';

describe('bootstrap of a mean loss', () => {
  it('percentile interpolates linearly between closest ranks, as numpy.percentile', () => {
    const sorted = Float64Array.of(1, 2, 3, 4);
    expect(percentile(sorted, 0)).toBe(1);
    expect(percentile(sorted, 0.25)).toBe(1.75); // np.percentile([1, 2, 3, 4], 25)
    expect(percentile(sorted, 0.975)).toBeCloseTo(3.925, 12);
    expect(percentile(sorted, 1)).toBe(4);
  });

  it('draws the same resamples for the same seed and length, different ones for another seed', () => {
    const losses = Float64Array.from({ length: 50 }, (_, i) => i);
    expect(bootstrapMeans(losses, 30, 7)).toEqual(bootstrapMeans(losses, 30, 7));
    expect(bootstrapMeans(losses, 30, 8)).not.toEqual(bootstrapMeans(losses, 30, 7));
  });

  it('gives the analytic standard error and a normal 95 % interval on Gaussian losses', () => {
    const normal = gaussianStream(3);
    const n = 400;
    const losses = Float64Array.from({ length: n }, () => 2 + 0.5 * normal());
    const mean = losses.reduce((s, l) => s + l, 0) / n;
    const variance = losses.reduce((s, l) => s + (l - mean) ** 2, 0) / (n - 1);
    // The bootstrap resamples the empirical distribution: its standard error is the plug-in sqrt((n − 1)/n · s²/n).
    const analytic = Math.sqrt(((n - 1) / n) * (variance / n));
    const summary = bootstrapSummary(losses, 2000, 1);
    expect(Math.abs(summary.stdError / analytic - 1)).toBeLessThan(0.1);
    expect(summary.low).toBeLessThan(mean);
    expect(summary.high).toBeGreaterThan(mean);
    expect(Math.abs((summary.high - summary.low) / (2 * 1.96 * analytic) - 1)).toBeLessThan(0.15);
  });
});
