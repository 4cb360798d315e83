import { describe, expect, it } from 'vitest';
import { checkUnary, values } from './gradient-check.ts';

describe('Sqrt rules', () => {
  it('matches finite differences on positive inputs', async () => {
    const r = await checkUnary('Sqrt', Math.sqrt, values(12, 9, 1, 1.5));
    expect(r.gradient).toBeLessThan(1e-5);
    expect(r.jvp).toBeLessThan(1e-5);
    expect(r.hvp).toBeLessThan(1e-3);
  });
});
