import { describe, expect, it } from 'vitest';
import { checkOp, values } from './gradient-check.ts';

describe('Softmax rules', () => {
  it('along axis 1 of a rank-3 tensor', async () => {
    const r = await checkOp({
      op: 'Softmax',
      attributes: { axis: 1 },
      inputs: [{ name: 'x', shape: [2, 3, 2], values: values(12, 13, 2) }],
      outputShape: [2, 3, 2],
      reference: ([x]) => {
        const y = new Float64Array(12);
        for (let a = 0; a < 2; a++)
          for (let c = 0; c < 2; c++) {
            let sum = 0;
            for (let k = 0; k < 3; k++) sum += Math.exp(x![(a * 3 + k) * 2 + c]!);
            for (let k = 0; k < 3; k++) y[(a * 3 + k) * 2 + c] = Math.exp(x![(a * 3 + k) * 2 + c]!) / sum;
          }
        return y;
      },
    });
    expect(r.gradient).toBeLessThan(1e-4);
    expect(r.jvp).toBeLessThan(1e-4);
    expect(r.hvp).toBeLessThan(1e-3);
  });
});
