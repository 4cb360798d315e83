import { describe, expect, it } from 'vitest';
import { checkOp, values } from './gradient-check.ts';

describe('Sub rules', () => {
  it('broadcasts the subtrahend', async () => {
    const r = await checkOp({
      op: 'Sub',
      inputs: [{ name: 'a', shape: [2, 3], values: values(6, 1) }, { name: 'b', shape: [3], values: values(3, 2) }],
      outputShape: [2, 3],
      reference: ([a, b]) => a!.map((v, i) => v - b![i % 3]!),
    });
    expect(r.gradient).toBeLessThan(1e-6);
    expect(r.jvp).toBeLessThan(1e-6);
  });
});
