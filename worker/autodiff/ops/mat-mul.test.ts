import { describe, expect, it } from 'vitest';
import { checkOp, values } from './gradient-check.ts';

function matmul(a: Float64Array, b: Float64Array, batch: number, m: number, k: number, n: number, bBatched: boolean): Float64Array {
  const y = new Float64Array(batch * m * n);
  for (let s = 0; s < batch; s++)
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let q = 0; q < k; q++) sum += a[(s * m + i) * k + q]! * b[(bBatched ? s * k * n : 0) + q * n + j]!;
        y[(s * m + i) * n + j] = sum;
      }
  return y;
}

describe('MatMul rules', () => {
  it('2-D', async () => {
    const r = await checkOp({
      op: 'MatMul',
      inputs: [{ name: 'a', shape: [3, 4], values: values(12, 1) }, { name: 'b', shape: [4, 5], values: values(20, 2) }],
      outputShape: [3, 5],
      reference: ([a, b]) => matmul(a!, b!, 1, 3, 4, 5, false),
    });
    expect(r.gradient).toBeLessThan(1e-4);
    expect(r.jvp).toBeLessThan(1e-4);
    expect(r.hvp).toBeLessThan(1e-3);
  });
  it('batched A against a shared B (sums B’s gradient over the batch)', async () => {
    const r = await checkOp({
      op: 'MatMul',
      inputs: [{ name: 'a', shape: [2, 3, 4], values: values(24, 3) }, { name: 'b', shape: [4, 2], values: values(8, 4) }],
      outputShape: [2, 3, 2],
      reference: ([a, b]) => matmul(a!, b!, 2, 3, 4, 2, false),
    });
    expect(r.gradient).toBeLessThan(1e-4);
    expect(r.jvp).toBeLessThan(1e-4);
    expect(r.hvp).toBeLessThan(1e-3);
  });
});
