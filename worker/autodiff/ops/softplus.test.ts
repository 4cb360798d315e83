import { describe, expect, it } from 'vitest';
import { checkUnary, values } from './gradient-check.ts';

describe('Softplus rules', () => {
  it('matches finite differences', async () => {
    const r = await checkUnary('Softplus', (x) => Math.log1p(Math.exp(x)), values(12, 6, 4));
    expect(r.gradient).toBeLessThan(1e-5);
    expect(r.jvp).toBeLessThan(1e-5);
    expect(r.hvp).toBeLessThan(1e-3);
  });
});
