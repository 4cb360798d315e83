import { describe, expect, it } from 'vitest';
import { checkUnary, values } from './gradient-check.ts';

describe('Neg rules', () => {
  it('matches finite differences', async () => {
    const r = await checkUnary('Neg', (x) => -x, values(12, 11));
    expect(r.gradient).toBeLessThan(1e-5);
    expect(r.jvp).toBeLessThan(1e-5);
  });
});
