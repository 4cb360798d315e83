import { describe, expect, it } from 'vitest';
import { checkUnary, values } from './gradient-check.ts';

/** erf by its Maclaurin series (converges fast for |x| < 2). */
function erf(x: number): number {
  let term = x;
  let sum = x;
  for (let n = 1; n < 60; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

describe('Erf rules', () => {
  it('matches finite differences', async () => {
    const r = await checkUnary('Erf', erf, values(12, 5, 1.5));
    expect(r.gradient).toBeLessThan(1e-5);
    expect(r.jvp).toBeLessThan(1e-5);
    expect(r.hvp).toBeLessThan(1e-3);
  });
});
