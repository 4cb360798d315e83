import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initTfjs } from '../engine/tfjs/backend.ts';
import { uniformStream } from '../numeric/rng.ts';
import { registerWasmStridedConv2DBackpropFilter } from './wasm-strided-conv-filter-grad.ts';

function values(shape: number[], seed: number): Float32Array {
  const random = uniformStream(seed);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random() * 2 - 1);
}

/** d/dW of Σ conv2d(x, W)² on the named backend, from the same numbers. */
async function filterGradient(backend: string, c: { x: number[]; w: number[]; strides: number; pad: 'same' | 'valid' }): Promise<Float32Array> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const input = tf.tensor4d(values(c.x, 1), c.x as [number, number, number, number]);
    const gradient = tf.grad((filter: tf.Tensor) => tf.sum(tf.square(tf.conv2d(input, filter as tf.Tensor4D, c.strides, c.pad))));
    return gradient(tf.tensor4d(values(c.w, 2), c.w as [number, number, number, number])).dataSync() as Float32Array;
  });
}

describe('Conv2DBackpropFilter on wasm, any stride', () => {
  beforeAll(async () => {
    process.env.LA_TFJS_BACKEND = 'wasm';
    await initTfjs();
    registerWasmStridedConv2DBackpropFilter();
    registerWasmStridedConv2DBackpropFilter(); // idempotent
  });

  const cases = [
    { name: '3×3 stride 2 same, even size (ResNet downsampling)', x: [2, 8, 8, 3], w: [3, 3, 3, 4], strides: 2, pad: 'same' as const },
    { name: '1×1 stride 2 same (projection shortcut)', x: [2, 8, 8, 3], w: [1, 1, 3, 5], strides: 2, pad: 'same' as const },
    { name: '3×3 stride 2 same, odd size', x: [1, 7, 9, 2], w: [3, 3, 2, 3], strides: 2, pad: 'same' as const },
    { name: '3×3 stride 3 valid', x: [2, 10, 8, 2], w: [3, 3, 2, 2], strides: 3, pad: 'valid' as const },
    { name: '3×3 stride 1 same', x: [3, 6, 5, 4], w: [3, 3, 4, 5], strides: 1, pad: 'same' as const },
  ];
  for (const c of cases) {
    it(`matches the cpu backend kernel: ${c.name}`, async () => {
      const expected = await filterGradient('cpu', c);
      const actual = await filterGradient('wasm', c);
      expect(actual.length).toBe(expected.length);
      actual.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 3));
    });
  }
});
