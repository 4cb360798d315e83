import { describe, expect, it } from 'vitest';
import { checkOp, values } from './gradient-check.ts';

function sumOverAxis1(x: Float64Array, scale: number): Float64Array {
  const out = new Float64Array(2 * 4);
  for (let a = 0; a < 2; a++) for (let k = 0; k < 3; k++) for (let c = 0; c < 4; c++) out[a * 4 + c] += x[(a * 3 + k) * 4 + c]! * scale;
  return out;
}

describe('ReduceSum and ReduceMean rules', () => {
  it('ReduceSum over axis 1 (axes input)', async () => {
    const r = await checkOp({
      op: 'ReduceSum',
      attributes: { keepdims: 0 },
      inputs: [{ name: 'x', shape: [2, 3, 4], values: values(24, 1) }, { name: 'axes', shape: [1], values: [1], dtype: 'int64' }],
      outputShape: [2, 4],
      reference: ([x]) => sumOverAxis1(x!, 1),
    });
    expect(r.gradient).toBeLessThan(1e-6);
    expect(r.jvp).toBeLessThan(1e-6);
  });
  it('ReduceMean over axis 1 (axes attribute, opset < 18)', async () => {
    const r = await checkOp({
      op: 'ReduceMean',
      attributes: { axes: [1], keepdims: 1 },
      inputs: [{ name: 'x', shape: [2, 3, 4], values: values(24, 2) }],
      outputShape: [2, 1, 4],
      reference: ([x]) => sumOverAxis1(x!, 1 / 3),
    });
    expect(r.gradient).toBeLessThan(1e-6);
    expect(r.jvp).toBeLessThan(1e-6);
  });
});
