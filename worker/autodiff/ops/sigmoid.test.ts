import { describe, expect, it } from 'vitest';
import { checkUnary, values } from './gradient-check.ts';

describe('Sigmoid rules', () => {
  it('matches finite differences', async () => {
    const r = await checkUnary('Sigmoid', (x) => 1 / (1 + Math.exp(-x)), values(12, 4, 3));
    expect(r.gradient).toBeLessThan(1e-5);
    expect(r.jvp).toBeLessThan(1e-5);
    expect(r.hvp).toBeLessThan(1e-3);
  });
});
