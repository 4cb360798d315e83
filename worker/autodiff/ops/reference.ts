/**
 * Test support: float64 reference implementations of the 2-D operators, written directly from
 * the ONNX operator definitions (independent of the rules they check).
 */

export interface Conv2dSpec {
  n: number;
  c: number;
  h: number;
  w: number;
  o: number;
  kh: number;
  kw: number;
  stride: [number, number];
  dilation: [number, number];
  /** [top, left, bottom, right] */
  pads: [number, number, number, number];
  group: number;
}

export function convOut(spec: Conv2dSpec): [number, number] {
  const oh = Math.floor((spec.h + spec.pads[0] + spec.pads[2] - ((spec.kh - 1) * spec.dilation[0] + 1)) / spec.stride[0]) + 1;
  const ow = Math.floor((spec.w + spec.pads[1] + spec.pads[3] - ((spec.kw - 1) * spec.dilation[1] + 1)) / spec.stride[1]) + 1;
  return [oh, ow];
}

export function conv2d(x: Float64Array, w: Float64Array, b: Float64Array | null, spec: Conv2dSpec): Float64Array {
  const [oh, ow] = convOut(spec);
  const cg = spec.c / spec.group;
  const og = spec.o / spec.group;
  const y = new Float64Array(spec.n * spec.o * oh * ow);
  for (let n = 0; n < spec.n; n++)
    for (let o = 0; o < spec.o; o++) {
      const group = Math.floor(o / og);
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++) {
          let sum = b ? b[o]! : 0;
          for (let c = 0; c < cg; c++)
            for (let p = 0; p < spec.kh; p++)
              for (let q = 0; q < spec.kw; q++) {
                const r = i * spec.stride[0] - spec.pads[0] + p * spec.dilation[0];
                const s = j * spec.stride[1] - spec.pads[1] + q * spec.dilation[1];
                if (r < 0 || r >= spec.h || s < 0 || s >= spec.w) continue;
                sum += x[((n * spec.c + group * cg + c) * spec.h + r) * spec.w + s]! * w[((o * cg + c) * spec.kh + p) * spec.kw + q]!;
              }
          y[((n * spec.o + o) * oh + i) * ow + j] = sum;
        }
    }
  return y;
}

export interface Pool2dSpec {
  n: number;
  c: number;
  h: number;
  w: number;
  kh: number;
  kw: number;
  stride: [number, number];
  pads: [number, number, number, number];
  countIncludePad?: boolean;
}

export function pool2d(x: Float64Array, spec: Pool2dSpec, kind: 'max' | 'average'): Float64Array {
  const oh = Math.floor((spec.h + spec.pads[0] + spec.pads[2] - spec.kh) / spec.stride[0]) + 1;
  const ow = Math.floor((spec.w + spec.pads[1] + spec.pads[3] - spec.kw) / spec.stride[1]) + 1;
  const y = new Float64Array(spec.n * spec.c * oh * ow);
  for (let nc = 0; nc < spec.n * spec.c; nc++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++) {
        let best = -Infinity;
        let sum = 0;
        let count = 0;
        for (let p = 0; p < spec.kh; p++)
          for (let q = 0; q < spec.kw; q++) {
            const r = i * spec.stride[0] - spec.pads[0] + p;
            const s = j * spec.stride[1] - spec.pads[1] + q;
            const inside = r >= 0 && r < spec.h && s >= 0 && s < spec.w;
            if (inside) {
              const v = x[(nc * spec.h + r) * spec.w + s]!;
              best = Math.max(best, v);
              sum += v;
              count++;
            } else if (spec.countIncludePad) count++;
          }
        y[(nc * oh + i) * ow + j] = kind === 'max' ? best : sum / count;
      }
  return y;
}
