import { describe, expect, it } from 'vitest';
import { checkOp, values } from './gradient-check.ts';

describe('Add rules', () => {
  it('broadcasts a per-channel operand', async () => {
    const r = await checkOp({
      op: 'Add',
      inputs: [{ name: 'a', shape: [2, 3, 2], values: values(12, 1) }, { name: 'b', shape: [3, 1], values: values(3, 2) }],
      outputShape: [2, 3, 2],
      reference: ([a, b]) => a!.map((v, i) => v + b![Math.floor(i / 2) % 3]!),
    });
    expect(r.gradient).toBeLessThan(1e-5);
    expect(r.jvp).toBeLessThan(1e-5);
    expect(r.hvp).toBeLessThan(1e-3);
  });
});
