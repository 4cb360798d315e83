import { describe, expect, it } from 'vitest';
import { checkOp, values } from './gradient-check.ts';

describe('Div rules', () => {
  it('by a broadcast positive divisor', async () => {
    const r = await checkOp({
      op: 'Div',
      inputs: [{ name: 'a', shape: [2, 3], values: values(6, 1) }, { name: 'b', shape: [3], values: values(3, 2, 0.5, 1.5) }],
      outputShape: [2, 3],
      reference: ([a, b]) => a!.map((v, i) => v / b![i % 3]!),
    });
    expect(r.gradient).toBeLessThan(1e-5);
    expect(r.jvp).toBeLessThan(1e-5);
    expect(r.hvp).toBeLessThan(1e-3);
  });
});
