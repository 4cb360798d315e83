import { describe, expect, it } from 'vitest';
import { checkOp } from './gradient-check.ts';

describe('Relu rules', () => {
  it('matches finite differences away from the kink', async () => {
    // |x| ≥ 0.2 everywhere: the ±1e-3 steps never cross 0.
    const x = Float64Array.from({ length: 12 }, (_, i) => (i % 2 ? 1 : -1) * (0.2 + 0.1 * i));
    const r = await checkOp({
      op: 'Relu',
      inputs: [{ name: 'x', shape: [3, 4], values: x }],
      outputShape: [3, 4],
      reference: ([a]) => a!.map((v) => Math.max(v, 0)),
    });
    expect(r.gradient).toBeLessThan(1e-4);
    expect(r.jvp).toBeLessThan(1e-4);
    expect(r.hvp).toBeLessThan(1e-3);
  });
});
