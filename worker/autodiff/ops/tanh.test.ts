import { describe, expect, it } from 'vitest';
import { checkUnary, values } from './gradient-check.ts';

describe('Tanh rules', () => {
  it('matches finite differences', async () => {
    const r = await checkUnary('Tanh', Math.tanh, values(12, 5, 2));
    expect(r.gradient).toBeLessThan(1e-5);
    expect(r.jvp).toBeLessThan(1e-5);
    expect(r.hvp).toBeLessThan(1e-3);
  });
});
