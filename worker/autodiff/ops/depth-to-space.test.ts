import { describe, expect, it } from 'vitest';
import { checkOp, values } from './gradient-check.ts';

/** Index of [n, c, h, w] in a row-major NCHW tensor of shape `s`. */
const at = (s: number[], n: number, c: number, h: number, w: number) => ((n * s[1]! + c) * s[2]! + h) * s[3]! + w;

/** The ONNX definitions written as loops: DCR reads channel (bh·b + bw)·C + c, CRD reads c·b·b + bh·b + bw. */
function depthToSpace(x: Float64Array, shape: number[], b: number, mode: 'DCR' | 'CRD'): Float64Array {
  const [n, cbb, h, w] = shape as [number, number, number, number];
  const c = cbb / (b * b);
  const out = new Float64Array(x.length);
  const outShape = [n, c, h * b, w * b];
  for (let i = 0; i < n; i++)
    for (let k = 0; k < c; k++)
      for (let y = 0; y < h * b; y++)
        for (let z = 0; z < w * b; z++) {
          const [bh, bw] = [y % b, z % b];
          const channel = mode === 'DCR' ? (bh * b + bw) * c + k : k * b * b + bh * b + bw;
          out[at(outShape, i, k, y, z)] = x[at(shape, i, channel, Math.floor(y / b), Math.floor(z / b))]!;
        }
  return out;
}

function spaceToDepth(x: Float64Array, shape: number[], b: number): Float64Array {
  const [n, c, h, w] = shape as [number, number, number, number];
  const out = new Float64Array(x.length);
  const outShape = [n, c * b * b, h / b, w / b];
  for (let i = 0; i < n; i++)
    for (let k = 0; k < c; k++)
      for (let y = 0; y < h; y++)
        for (let z = 0; z < w; z++) out[at(outShape, i, ((y % b) * b + (z % b)) * c + k, Math.floor(y / b), Math.floor(z / b))] = x[at(shape, i, k, y, z)]!;
  return out;
}

describe('DepthToSpace and SpaceToDepth rules', () => {
  for (const mode of ['DCR', 'CRD'] as const) {
    it(`DepthToSpace ${mode}, blocksize 2`, async () => {
      const shape = [2, 8, 2, 3];
      const r = await checkOp({
        op: 'DepthToSpace',
        attributes: { blocksize: 2, mode },
        inputs: [{ name: 'x', shape, values: values(96, 5) }],
        outputShape: [2, 2, 4, 6],
        reference: ([x]) => depthToSpace(x!, shape, 2, mode),
      });
      expect(r.gradient).toBeLessThan(1e-6);
      expect(r.jvp).toBeLessThan(1e-6);
    });
  }
  it('SpaceToDepth, blocksize 3', async () => {
    const shape = [1, 2, 3, 6];
    const r = await checkOp({
      op: 'SpaceToDepth',
      attributes: { blocksize: 3 },
      inputs: [{ name: 'x', shape, values: values(36, 6) }],
      outputShape: [1, 18, 1, 2],
      reference: ([x]) => spaceToDepth(x!, shape, 3),
    });
    expect(r.gradient).toBeLessThan(1e-6);
    expect(r.jvp).toBeLessThan(1e-6);
  });
});
