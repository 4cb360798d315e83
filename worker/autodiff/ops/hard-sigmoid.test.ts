import { describe, expect, it } from 'vitest';
import { checkUnary } from './gradient-check.ts';

// Inputs away from the corners of both functions (αx + β ∉ {0, 1} within the steps).
const x = Float64Array.from([-3.7, -2.2, -1.1, -0.4, 0.3, 0.9, 1.6, 2.3, 2.8, 3.4, 4.1, -4.6]);

describe('HardSigmoid and HardSwish rules', () => {
  it('HardSigmoid α = 0.25, β = 0.4', async () => {
    const r = await checkUnary('HardSigmoid', (v) => Math.max(0, Math.min(1, 0.25 * v + 0.4)), x, { alpha: { float: 0.25 }, beta: { float: 0.4 } });
    expect(r.gradient).toBeLessThan(1e-5);
    expect(r.jvp).toBeLessThan(1e-5);
  });
  it('HardSwish', async () => {
    const r = await checkUnary('HardSwish', (v) => v * Math.max(0, Math.min(1, v / 6 + 0.5)), x);
    expect(r.gradient).toBeLessThan(1e-5);
    expect(r.jvp).toBeLessThan(1e-5);
    expect(r.hvp).toBeLessThan(1e-3);
  });
});
