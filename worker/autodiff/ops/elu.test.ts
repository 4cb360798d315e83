import { describe, expect, it } from 'vitest';
import { awayFromZero, checkUnary } from './gradient-check.ts';

describe('Elu and Selu rules', () => {
  it('Elu α = 0.7', async () => {
    const r = await checkUnary('Elu', (x) => (x > 0 ? x : 0.7 * Math.expm1(x)), awayFromZero(1), { alpha: { float: 0.7 } });
    expect(r.gradient).toBeLessThan(1e-5);
    expect(r.jvp).toBeLessThan(1e-5);
    expect(r.hvp).toBeLessThan(1e-3);
  });
  it('Selu defaults', async () => {
    const a = 1.67326319217681884765625;
    const s = 1.05070102214813232421875;
    const r = await checkUnary('Selu', (x) => s * (x > 0 ? x : a * Math.expm1(x)), awayFromZero(2));
    expect(r.gradient).toBeLessThan(1e-5);
    expect(r.jvp).toBeLessThan(1e-5);
    expect(r.hvp).toBeLessThan(1e-3);
  });
});
