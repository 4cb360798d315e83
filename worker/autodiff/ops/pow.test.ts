import { describe, expect, it } from 'vitest';
import { checkOp, checkUnary, values } from './gradient-check.ts';

describe('Pow, Log and Reciprocal rules', () => {
  it('Pow with a differentiated base and exponent', async () => {
    const r = await checkOp({
      op: 'Pow',
      inputs: [{ name: 'x', shape: [2, 3], values: values(6, 1, 0.5, 1.2) }, { name: 'p', shape: [3], values: values(3, 2, 0.5, 1.5) }],
      outputShape: [2, 3],
      reference: ([x, p]) => x!.map((v, i) => v ** p![i % 3]!),
    });
    expect(r.gradient).toBeLessThan(1e-5);
    expect(r.jvp).toBeLessThan(1e-5);
    expect(r.hvp).toBeLessThan(1e-3);
  });
  it('Log', async () => {
    const r = await checkUnary('Log', Math.log, values(12, 3, 0.5, 1.2));
    expect(r.gradient).toBeLessThan(1e-5);
    expect(r.jvp).toBeLessThan(1e-5);
    expect(r.hvp).toBeLessThan(1e-3);
  });
  it('Reciprocal', async () => {
    const r = await checkUnary('Reciprocal', (x) => 1 / x, values(12, 4, 0.5, 1.2));
    expect(r.gradient).toBeLessThan(1e-5);
    expect(r.jvp).toBeLessThan(1e-5);
    expect(r.hvp).toBeLessThan(1e-3);
  });
});
