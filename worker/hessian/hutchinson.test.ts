import { describe, expect, it } from 'vitest';
import { gaussianStream } from '../numeric/rng.ts';
import type { LinearOperator } from './hvp.ts';
import { hutchinsonTrace } from './hutchinson.ts';

describe('hutchinsonTrace', () => {
  it('is exact for a diagonal operator and respects the mask', async () => {
    const diagonal = [3, -1, 0.5, 10, 2];
    const apply: LinearOperator = async (v) => Float32Array.from(v, (x, i) => x * diagonal[i]!);
    const all = await hutchinsonTrace(apply, 5, null, { samples: 3 });
    expect(all.trace).toBeCloseTo(14.5, 5);
    expect(all.standardError).toBeCloseTo(0, 5);
    const masked = await hutchinsonTrace(apply, 5, Uint8Array.from([1, 1, 1, 0, 1]), { samples: 3 });
    expect(masked.trace).toBeCloseTo(4.5, 5);
  });

  it('estimates the trace of a dense symmetric matrix within its standard error', async () => {
    const n = 30;
    const normal = gaussianStream(2);
    const g = Array.from({ length: n }, () => Array.from({ length: n }, () => normal()));
    const m = g.map((row, i) => row.map((_, j) => (g[i]![j]! + g[j]![i]!) / 2 + (i === j ? 4 : 0)));
    const exact = m.reduce((s, row, i) => s + row[i]!, 0);
    const apply: LinearOperator = async (v) => Float32Array.from(m.map((row) => row.reduce((s, x, j) => s + x * v[j]!, 0)));
    const estimate = await hutchinsonTrace(apply, n, null, { samples: 400, seed: 7 });
    expect(estimate.products).toBe(400);
    expect(estimate).toMatchObject({ samples: 400, seed: 7 });
    expect(Math.abs(estimate.trace - exact)).toBeLessThan(4 * estimate.standardError);
    expect(estimate.standardError).toBeLessThan(0.1 * Math.abs(exact));
  });
});
