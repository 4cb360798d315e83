import { describe, expect, it } from 'vitest';
import { checkOp, values } from './gradient-check.ts';

function logSoftmaxRows(x: Float64Array, rows: number, width: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let k = 0; k < width; k++) max = Math.max(max, x[r * width + k]!);
    let sum = 0;
    for (let k = 0; k < width; k++) sum += Math.exp(x[r * width + k]! - max);
    for (let k = 0; k < width; k++) y[r * width + k] = x[r * width + k]! - max - Math.log(sum);
  }
  return y;
}

describe('LogSoftmax rules', () => {
  it('along the last axis', async () => {
    const r = await checkOp({
      op: 'LogSoftmax',
      attributes: { axis: -1 },
      inputs: [{ name: 'x', shape: [3, 4], values: values(12, 5, 2) }],
      outputShape: [3, 4],
      reference: ([x]) => logSoftmaxRows(x!, 3, 4),
    });
    expect(r.gradient).toBeLessThan(1e-4);
    expect(r.jvp).toBeLessThan(1e-4);
    expect(r.hvp).toBeLessThan(1e-3);
  });
});
