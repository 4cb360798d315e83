import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as tf from './tf.ts';

describe('the tfjs namespace', () => {
  afterEach(() => vi.restoreAllMocks());

  it('has every op gradient registered without the umbrella package: d/dx x² = 2x, d/dx Σ relu(x) = [x > 0]', () => {
    expect(tf.grad((x: tf.Tensor) => tf.square(x))(tf.scalar(3)).dataSync()[0]).toBe(6);
    expect(Array.from(tf.grad((x: tf.Tensor) => tf.sum(tf.relu(x)))(tf.tensor1d([-1, 2])).dataSync())).toEqual([0, 1]);
  });

  it('prints no "install our node backend" banner on a cpu backend’s first tensor, while other tfjs warnings still print', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const backend = new MathBackendCPU();
    backend.write(new Float32Array([1]), [1], 'float32');
    expect(warn).not.toHaveBeenCalled();
    tf.backend_util.warn('a real warning');
    expect(warn).toHaveBeenCalledWith('a real warning');
    backend.dispose();
  });

  it('records tfjs-core’s version as the tfjs version', () => {
    expect(tf.version.tfjs).toBe(tf.version_core);
  });
});
