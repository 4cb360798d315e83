import { describe, expect, it } from 'vitest';
import { awayFromZero, checkUnary } from './gradient-check.ts';

describe('Softsign rules', () => {
  it('matches finite differences', async () => {
    const r = await checkUnary('Softsign', (x) => x / (1 + Math.abs(x)), awayFromZero(7));
    expect(r.gradient).toBeLessThan(1e-5);
    expect(r.jvp).toBeLessThan(1e-5);
    expect(r.hvp).toBeLessThan(1e-3);
  });
});
