import { describe, expect, it } from 'vitest';
import { checkUnary, values } from './gradient-check.ts';

describe('Identity rules', () => {
  it('matches finite differences', async () => {
    const r = await checkUnary('Identity', (x) => x, values(12, 12));
    expect(r.gradient).toBeLessThan(1e-6);
    expect(r.jvp).toBeLessThan(1e-6);
  });
});
