import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initTfjs } from './backend.ts';
import { registerWasmConv2DBackpropFilter } from './wasm-conv-filter-grad.ts';

/** d/dW of Σ conv2d(x, W)² on the named backend, from the same numbers. */
async function filterGradient(backend: string, x: number[][][][], w: number[][][][], pad: 'same' | 'valid', stride: number): Promise<Float32Array> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const input = tf.tensor4d(x);
    const gradient = tf.grad((filter: tf.Tensor) => tf.sum(tf.square(tf.conv2d(input, filter as tf.Tensor4D, stride, pad))));
    return gradient(tf.tensor4d(w)).dataSync() as Float32Array;
  });
}

describe('Conv2DBackpropFilter on wasm', () => {
  beforeAll(async () => {
    await initTfjs({ backend: 'wasm' });
    registerWasmConv2DBackpropFilter();
    registerWasmConv2DBackpropFilter(); // idempotent
  });

  const cases = [
    { name: '3×3 same, batch 3', x: [3, 9, 7, 4], w: [3, 3, 4, 5], pad: 'same' as const, stride: 1 },
    { name: '2×2 same (asymmetric padding), batch 1', x: [1, 6, 5, 2], w: [2, 2, 2, 3], pad: 'same' as const, stride: 1 },
    { name: '3×2 valid, batch 2', x: [2, 6, 6, 3], w: [3, 2, 3, 1], pad: 'valid' as const, stride: 1 },
    { name: '3×3 same, stride 2 (ResNet downsampling)', x: [2, 8, 8, 3], w: [3, 3, 3, 4], pad: 'same' as const, stride: 2 },
    { name: '1×1 same, stride 2 (projection shortcut), odd size', x: [2, 7, 7, 3], w: [1, 1, 3, 4], pad: 'same' as const, stride: 2 },
    { name: '3×3 valid, stride 2', x: [1, 9, 8, 2], w: [3, 3, 2, 3], pad: 'valid' as const, stride: 2 },
    { name: '3×3 valid, stride 3', x: [2, 10, 8, 2], w: [3, 3, 2, 2], pad: 'valid' as const, stride: 3 },
  ];
  for (const c of cases) {
    it(`matches the cpu backend kernel: ${c.name}`, async () => {
      const x = tf.randomNormal(c.x, 0, 1, 'float32', 1).arraySync() as number[][][][];
      const w = tf.randomNormal(c.w, 0, 1, 'float32', 2).arraySync() as number[][][][];
      const onWasm = await filterGradient('wasm', x, w, c.pad, c.stride);
      const onCpu = await filterGradient('cpu', x, w, c.pad, c.stride);
      await tf.setBackend('wasm');
      expect(onWasm.length).toBe(onCpu.length);
      const scale = Math.max(...onCpu.map(Math.abs));
      for (let i = 0; i < onCpu.length; i++) expect(Math.abs(onWasm[i]! - onCpu[i]!)).toBeLessThan(1e-5 * scale);
    });
  }

  it('frees its intermediate buffers', async () => {
    await tf.setBackend('wasm');
    const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, 3, 4], 0, 1, 'float32', 4);
    const gradient = tf.grad((filter: tf.Tensor) => tf.sum(tf.conv2d(x, filter as tf.Tensor4D, 1, 'same')));
    tf.dispose(gradient(w));
    const before = tf.memory();
    for (let i = 0; i < 5; i++) tf.dispose(gradient(w));
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
    tf.dispose([x, w]);
  });
});
