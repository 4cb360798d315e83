import { describe, expect, it } from 'vitest';
import { checkOp, values } from './gradient-check.ts';

describe('Gemm rules (lowered to MatMul)', () => {
  it('transB = 1, alpha, beta and a broadcast bias', async () => {
    const r = await checkOp({
      op: 'Gemm',
      attributes: { transB: 1, alpha: { float: 0.5 }, beta: { float: 2 } },
      inputs: [{ name: 'a', shape: [3, 4], values: values(12, 1) }, { name: 'b', shape: [2, 4], values: values(8, 2) }, { name: 'c', shape: [2], values: values(2, 3) }],
      outputShape: [3, 2],
      reference: ([a, b, c]) => {
        const y = new Float64Array(6);
        for (let i = 0; i < 3; i++) for (let j = 0; j < 2; j++) {
          let s = 0;
          for (let k = 0; k < 4; k++) s += a![i * 4 + k]! * b![j * 4 + k]!;
          y[i * 2 + j] = 0.5 * s + 2 * c![j]!;
        }
        return y;
      },
    });
    expect(r.gradient).toBeLessThan(1e-5);
    expect(r.jvp).toBeLessThan(1e-5);
    expect(r.hvp).toBeLessThan(1e-3);
  });
});
