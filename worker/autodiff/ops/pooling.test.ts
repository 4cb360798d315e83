import { describe, expect, it } from 'vitest';
import { checkOp, values } from './gradient-check.ts';
import { pool2d, type Pool2dSpec } from './reference.ts';

/** Distinct, well-separated values: no window has a tie within the finite-difference step. */
function distinct(count: number, seed: number): Float64Array {
  const v = values(count, seed);
  const order = [...v.keys()].sort((a, b) => v[a]! - v[b]!);
  const out = new Float64Array(count);
  order.forEach((index, rank) => (out[index] = rank * 0.1 - count * 0.05));
  return out;
}

describe('pooling rules', () => {
  const spec: Pool2dSpec = { n: 2, c: 2, h: 5, w: 5, kh: 3, kw: 3, stride: [2, 2], pads: [1, 1, 1, 1] };
  it('MaxPool 3×3 stride 2 with padding (overlapping windows)', async () => {
    const r = await checkOp({
      op: 'MaxPool',
      attributes: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] },
      inputs: [{ name: 'x', shape: [2, 2, 5, 5], values: distinct(100, 1) }],
      outputShape: [2, 2, 3, 3],
      reference: ([x]) => pool2d(x!, spec, 'max'),
    });
    expect(r.gradient).toBeLessThan(1e-5);
    expect(r.jvp).toBeLessThan(1e-5);
    expect(r.hvp).toBeLessThan(1e-3);
  });
  it('GlobalMaxPool', async () => {
    const r = await checkOp({
      op: 'GlobalMaxPool',
      inputs: [{ name: 'x', shape: [2, 3, 2, 3], values: distinct(36, 2) }],
      outputShape: [2, 3, 1, 1],
      reference: ([x]) => pool2d(x!, { n: 2, c: 3, h: 2, w: 3, kh: 2, kw: 3, stride: [1, 1], pads: [0, 0, 0, 0] }, 'max'),
    });
    expect(r.gradient).toBeLessThan(1e-5);
    expect(r.jvp).toBeLessThan(1e-5);
  });
  for (const countIncludePad of [false, true]) {
    it(`AveragePool 3×3 stride 2 with padding, count_include_pad=${Number(countIncludePad)}`, async () => {
      const r = await checkOp({
        op: 'AveragePool',
        attributes: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], count_include_pad: Number(countIncludePad) },
        inputs: [{ name: 'x', shape: [2, 2, 5, 5], values: values(100, 3) }],
        outputShape: [2, 2, 3, 3],
        reference: ([x]) => pool2d(x!, { ...spec, countIncludePad }, 'average'),
      });
      expect(r.gradient).toBeLessThan(1e-5);
      expect(r.jvp).toBeLessThan(1e-5);
    });
  }
  it('AveragePool 2×2 stride 2 on an odd size', async () => {
    const r = await checkOp({
      op: 'AveragePool',
      attributes: { kernel_shape: [2, 2], strides: [2, 2] },
      inputs: [{ name: 'x', shape: [1, 2, 5, 5], values: values(50, 4) }],
      outputShape: [1, 2, 2, 2],
      reference: ([x]) => pool2d(x!, { n: 1, c: 2, h: 5, w: 5, kh: 2, kw: 2, stride: [2, 2], pads: [0, 0, 0, 0] }, 'average'),
    });
    expect(r.gradient).toBeLessThan(1e-5);
    expect(r.jvp).toBeLessThan(1e-5);
  });
  it('GlobalAveragePool', async () => {
    const r = await checkOp({
      op: 'GlobalAveragePool',
      inputs: [{ name: 'x', shape: [2, 3, 2, 3], values: values(36, 5) }],
      outputShape: [2, 3, 1, 1],
      reference: ([x]) => Float64Array.from({ length: 6 }, (_, k) => x!.slice(k * 6, k * 6 + 6).reduce((a, b) => a + b, 0) / 6),
    });
    expect(r.gradient).toBeLessThan(1e-5);
    expect(r.jvp).toBeLessThan(1e-5);
  });
});
