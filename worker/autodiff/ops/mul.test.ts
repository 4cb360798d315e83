import { describe, expect, it } from 'vitest';
import { checkOp, values } from './gradient-check.ts';

describe('Mul rules', () => {
  it('broadcasts both operands', async () => {
    const r = await checkOp({
      op: 'Mul',
      inputs: [{ name: 'a', shape: [2, 1, 3], values: values(6, 1) }, { name: 'b', shape: [4, 1], values: values(4, 2) }],
      outputShape: [2, 4, 3],
      reference: ([a, b]) => Float64Array.from({ length: 24 }, (_, i) => a![Math.floor(i / 12) * 3 + (i % 3)]! * b![Math.floor(i / 3) % 4]!),
    });
    expect(r.gradient).toBeLessThan(1e-5);
    expect(r.jvp).toBeLessThan(1e-5);
    expect(r.hvp).toBeLessThan(1e-3);
  });
});
