import { describe, expect, it } from 'vitest';
import { checkOp, values } from './gradient-check.ts';

describe('Concat rules', () => {
  it('along the channel axis', async () => {
    const a = values(2 * 2 * 3, 1);
    const b = values(2 * 1 * 3, 2);
    const r = await checkOp({
      op: 'Concat',
      attributes: { axis: 1 },
      inputs: [{ name: 'a', shape: [2, 2, 3], values: a }, { name: 'b', shape: [2, 1, 3], values: b }],
      outputShape: [2, 3, 3],
      reference: ([x, y]) => {
        const out = new Float64Array(18);
        for (let n = 0; n < 2; n++) {
          out.set(x!.subarray(n * 6, n * 6 + 6), n * 9);
          out.set(y!.subarray(n * 3, n * 3 + 3), n * 9 + 6);
        }
        return out;
      },
    });
    expect(r.gradient).toBeLessThan(1e-6);
    expect(r.jvp).toBeLessThan(1e-6);
  });
});
