import { describe, expect, it } from 'vitest';
import { checkOp, values } from './gradient-check.ts';

describe('Slice rules', () => {
  it('a window of axes 1 and 2 with a negative end', async () => {
    const r = await checkOp({
      op: 'Slice',
      inputs: [
        { name: 'x', shape: [2, 4, 5], values: values(40, 1) },
        { name: 'starts', shape: [2], values: [1, 1], dtype: 'int64' },
        { name: 'ends', shape: [2], values: [3, -1], dtype: 'int64' },
        { name: 'axes', shape: [2], values: [1, 2], dtype: 'int64' },
      ],
      outputShape: [2, 2, 3],
      reference: ([x]) => {
        const out: number[] = [];
        for (let n = 0; n < 2; n++) for (let i = 1; i < 3; i++) for (let j = 1; j < 4; j++) out.push(x![(n * 4 + i) * 5 + j]!);
        return Float64Array.from(out);
      },
    });
    expect(r.gradient).toBeLessThan(1e-6);
    expect(r.jvp).toBeLessThan(1e-6);
  });
});
