import { describe, expect, it } from 'vitest';
import { awayFromZero, checkUnary } from './gradient-check.ts';

describe('LeakyRelu rules', () => {
  it('α = 0.2', async () => {
    const r = await checkUnary('LeakyRelu', (x) => (x > 0 ? x : 0.2 * x), awayFromZero(3), { alpha: { float: 0.2 } });
    expect(r.gradient).toBeLessThan(1e-5);
    expect(r.jvp).toBeLessThan(1e-5);
    expect(r.hvp).toBeLessThan(1e-3);
  });
});
