import { describe, expect, it } from 'vitest';
import { awayFromZero, checkUnary } from './gradient-check.ts';

describe('Abs rules', () => {
  it('matches finite differences away from 0', async () => {
    const r = await checkUnary('Abs', Math.abs, awayFromZero(10));
    expect(r.gradient).toBeLessThan(1e-5);
    expect(r.jvp).toBeLessThan(1e-5);
    expect(r.hvp).toBeLessThan(1e-3);
  });
});
