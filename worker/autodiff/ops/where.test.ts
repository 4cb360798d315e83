import { describe, expect, it } from 'vitest';
import { checkOp, values } from './gradient-check.ts';

describe('Where rules', () => {
  it('selects between two float inputs by a constant condition', async () => {
    const condition = [1, 0, 1, 1, 0, 0];
    const r = await checkOp({
      op: 'Where',
      inputs: [
        { name: 'c', shape: [2, 3], values: condition, dtype: 'bool' },
        { name: 'a', shape: [2, 3], values: values(6, 1) },
        { name: 'b', shape: [3], values: values(3, 2) },
      ],
      outputShape: [2, 3],
      reference: ([a, b]) => a!.map((v, i) => (condition[i] ? v : b![i % 3]!)),
    });
    expect(r.gradient).toBeLessThan(1e-6);
    expect(r.jvp).toBeLessThan(1e-6);
  });
});
