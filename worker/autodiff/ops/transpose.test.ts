import { describe, expect, it } from 'vitest';
import { checkOp, values } from './gradient-check.ts';

describe('Transpose rules', () => {
  it('NCHW → NHWC', async () => {
    const r = await checkOp({
      op: 'Transpose',
      attributes: { perm: [0, 2, 3, 1] },
      inputs: [{ name: 'x', shape: [2, 3, 2, 2], values: values(24, 1) }],
      outputShape: [2, 2, 2, 3],
      reference: ([x]) => {
        const out = new Float64Array(24);
        for (let n = 0; n < 2; n++) for (let c = 0; c < 3; c++) for (let h = 0; h < 2; h++) for (let w = 0; w < 2; w++) out[((n * 2 + h) * 2 + w) * 3 + c] = x![((n * 3 + c) * 2 + h) * 2 + w]!;
        return out;
      },
    });
    expect(r.gradient).toBeLessThan(1e-6);
    expect(r.jvp).toBeLessThan(1e-6);
  });
});
