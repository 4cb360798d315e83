import * as tf from '../tfjs/tf.ts';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LossName } from '../../../contract/index.ts';
import { batchLosses } from '../tfjs/losses.ts';
import { lossSums } from './losses.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Reference: the tfjs engine's definitions, summed. */
function tfjsSums(output: Float32Array, width: number, targets: Int32Array | Float32Array, loss: LossName, activation: string) {
  return tf.tidy(() => {
    const n = output.length / width;
    const t = targets instanceof Int32Array ? tf.tensor1d(targets, 'int32') : tf.tensor2d(targets, [n, targets.length / n]);
    const { perSample, correct } = batchLosses(tf.tensor2d(output, [n, width]), t, loss, activation);
    return { loss: tf.sum(perSample).dataSync()[0]!, correct: correct ? tf.sum(correct).dataSync()[0]! : 0 };
  });
}

function softmaxRows(logits: Float32Array, width: number): Float32Array {
  const out = new Float32Array(logits.length);
  for (let r = 0; r < logits.length / width; r++) {
    let sum = 0;
    for (let k = 0; k < width; k++) sum += (out[r * width + k] = Math.exp(logits[r * width + k]!));
    for (let k = 0; k < width; k++) out[r * width + k]! /= sum;
  }
  return out;
}

const logits = Float32Array.from([2, -1, 0.5, -3, 4, 0, 0.1, 0.2, 0.3, 30, -30, 0]);
const labels = Int32Array.from([0, 1, 2, 0]);

describe('lossSums', () => {
  it('matches the tfjs engine for categorical cross-entropy on logits and on probabilities', () => {
    for (const [output, activation] of [[logits, 'linear'], [softmaxRows(logits, 3), 'softmax']] as const) {
      const expected = tfjsSums(output, 3, labels, 'sparse_categorical_crossentropy', activation);
      const actual = lossSums(output, 3, 4, labels, 1, 0, 'sparse_categorical_crossentropy', activation === 'softmax');
      expect(actual.loss).toBeCloseTo(expected.loss, 4);
      expect(actual.correct).toBe(expected.correct);
    }
  });

  it('clips probabilities like Keras: a zero probability costs −log(1e-7), not Infinity', () => {
    const output = Float32Array.from([1, 0]);
    expect(lossSums(output, 2, 1, Int32Array.from([1]), 1, 0, 'categorical_crossentropy', true).loss).toBeCloseTo(-Math.log(1e-7), 6);
  });

  it('matches the tfjs engine for binary cross-entropy and mse', () => {
    const z = Float32Array.from([-2, 0.3, 5, -0.1]);
    const t = Int32Array.from([0, 1, 1, 1]);
    const expected = tfjsSums(z, 1, t, 'binary_crossentropy', 'linear');
    const actual = lossSums(z, 1, 4, t, 1, 0, 'binary_crossentropy', false);
    expect(actual.loss).toBeCloseTo(expected.loss, 5);
    expect(actual.correct).toBe(expected.correct);
    const targets = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(lossSums(logits, 3, 4, targets, 3, 0, 'mse', false).loss).toBeCloseTo(tfjsSums(logits, 3, targets, 'mse', 'linear').loss, 3);
  });

  it('reads the targets of a later batch from `first` and keeps NaN outputs NaN', () => {
    const second = logits.subarray(6);
    const batch = lossSums(second, 3, 2, labels, 1, 2, 'sparse_categorical_crossentropy', false);
    const whole = lossSums(logits, 3, 4, labels, 1, 0, 'sparse_categorical_crossentropy', false);
    const first = lossSums(logits.subarray(0, 6), 3, 2, labels, 1, 0, 'sparse_categorical_crossentropy', false);
    expect(first.loss + batch.loss).toBeCloseTo(whole.loss, 12);
    const nan = Float32Array.from([NaN, 0.5, 0.5]);
    expect(lossSums(nan, 3, 1, Int32Array.from([1]), 1, 0, 'sparse_categorical_crossentropy', true).loss).toBeNaN();
  });
});
