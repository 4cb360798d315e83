import { describe, expect, it } from 'vitest';
import { checkOp, values } from './gradient-check.ts';

/** y[n, o, i·s + k − p] += x[n, c, i]·W[c, o, k] (group 1), cropped by the pads. */
function convTranspose2d(x: Float64Array, w: Float64Array, n: number, c: number, h: number, o: number, k: number, s: number, p: number, out: number): Float64Array {
  const y = new Float64Array(n * o * out * out);
  for (let b = 0; b < n; b++)
    for (let ci = 0; ci < c; ci++)
      for (let i = 0; i < h; i++)
        for (let j = 0; j < h; j++)
          for (let oc = 0; oc < o; oc++)
            for (let ki = 0; ki < k; ki++)
              for (let kj = 0; kj < k; kj++) {
                const r = i * s + ki - p;
                const q = j * s + kj - p;
                if (r < 0 || r >= out || q < 0 || q >= out) continue;
                y[((b * o + oc) * out + r) * out + q] += x[((b * c + ci) * h + i) * h + j]! * w[((ci * o + oc) * k + ki) * k + kj]!;
              }
  return y;
}

describe('ConvTranspose rules', () => {
  it('stride 2, 3×3, pads 1, output_padding 1 (a U-Net upsampling)', async () => {
    const r = await checkOp({
      op: 'ConvTranspose',
      attributes: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 1] },
      inputs: [{ name: 'x', shape: [2, 2, 3, 3], values: values(36, 1) }, { name: 'w', shape: [2, 3, 3, 3], values: values(54, 2) }],
      outputShape: [2, 3, 6, 6],
      reference: ([x, w]) => convTranspose2d(x!, w!, 2, 2, 3, 3, 3, 2, 1, 6),
    });
    expect(r.gradient).toBeLessThan(1e-4);
    expect(r.jvp).toBeLessThan(1e-4);
    expect(r.hvp).toBeLessThan(1e-3);
  });
});
