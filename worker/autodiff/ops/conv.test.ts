import { describe, expect, it } from 'vitest';
import { checkOp, values } from './gradient-check.ts';
import { conv2d, convOut, type Conv2dSpec } from './reference.ts';

async function check(spec: Conv2dSpec, bias: boolean, seed: number) {
  const cg = spec.c / spec.group;
  const [oh, ow] = convOut(spec);
  const inputs = [
    { name: 'x', shape: [spec.n, spec.c, spec.h, spec.w], values: values(spec.n * spec.c * spec.h * spec.w, seed) },
    { name: 'w', shape: [spec.o, cg, spec.kh, spec.kw], values: values(spec.o * cg * spec.kh * spec.kw, seed + 1) },
    ...(bias ? [{ name: 'b', shape: [spec.o], values: values(spec.o, seed + 2) }] : []),
  ];
  return checkOp({
    op: 'Conv',
    attributes: { kernel_shape: [spec.kh, spec.kw], strides: spec.stride, dilations: spec.dilation, pads: spec.pads, group: spec.group },
    inputs,
    outputShape: [spec.n, spec.o, oh, ow],
    reference: ([x, w, b]) => conv2d(x!, w!, b ?? null, spec),
  });
}

const base: Conv2dSpec = { n: 2, c: 2, h: 5, w: 5, o: 3, kh: 3, kw: 3, stride: [1, 1], dilation: [1, 1], pads: [1, 1, 1, 1], group: 1 };

describe('Conv rules', () => {
  const cases: [string, Conv2dSpec, boolean][] = [
    ['3×3 same padding with bias', base, true],
    ['stride 2 on an even size (output_padding restores the input)', { ...base, h: 6, w: 6, stride: [2, 2] }, false],
    ['stride 2, asymmetric pads, 2×3 kernel', { ...base, h: 7, w: 6, kh: 2, kw: 3, stride: [2, 2], pads: [0, 1, 1, 0] }, true],
    ['dilation 2', { ...base, h: 7, w: 7, dilation: [2, 2], pads: [2, 2, 2, 2] }, false],
    ['groups', { ...base, c: 4, o: 4, group: 2 }, true],
    ['depthwise, stride 2', { ...base, c: 3, o: 6, group: 3, h: 6, w: 6, stride: [2, 2] }, false],
    ['1×1 projection, stride 2', { ...base, kh: 1, kw: 1, pads: [0, 0, 0, 0], stride: [2, 2], h: 6, w: 6 }, false],
    // Strided, group 1, dilation 1 takes the per-phase input gradient (a Slice trims odd sizes).
    ['stride 2, odd height, 3×2 kernel, per-phase input gradient', { ...base, h: 7, w: 8, kh: 3, kw: 2, stride: [2, 2], pads: [1, 0, 1, 0] }, true],
    ['stride 3, 3×3 kernel, per-phase input gradient', { ...base, h: 8, w: 9, stride: [3, 3] }, false],
    ['stride 3 with dilation 2', { ...base, h: 9, w: 8, stride: [3, 3], dilation: [2, 2], pads: [1, 2, 2, 1] }, true],
    // Stride 1 takes the row-shift weight gradient: uneven pads, non-square kernels, dilation per axis.
    ['stride 1, asymmetric pads, 2×3 kernel, dilation 1×2', { ...base, h: 6, w: 7, kh: 2, kw: 3, dilation: [1, 2], pads: [1, 0, 0, 2] }, true],
    ['stride 1, no padding, 3×2 kernel', { ...base, h: 6, w: 5, kh: 3, kw: 2, pads: [0, 0, 0, 0] }, false],
    ['padding wider than the kernel (the ConvTranspose input gradient)', { ...base, kh: 1, kw: 1, pads: [1, 1, 1, 1] }, true],
  ];
  for (const [name, spec, bias] of cases) {
    it(name, async () => {
      const r = await check(spec, bias, 3);
      expect(r.gradient).toBeLessThan(1e-4);
      expect(r.jvp).toBeLessThan(1e-4);
      expect(r.hvp).toBeLessThan(1e-3);
    });
  }
});
