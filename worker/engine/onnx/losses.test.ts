import * as tf from '../tfjs/tf.ts';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LossName } from '../../../contract/index.ts';
import { batchLosses } from '../tfjs/losses.ts';
import { lossSums } from './losses.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Reference: the tfjs engine's definitions, summed. */
function tfjsSums(output: Float32Array, width: number, targets: Int32Array | Float32Array, loss: LossName) {
  return tf.tidy(() => {
    const n = output.length / width;
    const t = targets instanceof Int32Array ? tf.tensor1d(targets, 'int32') : tf.tensor2d(targets, [n, targets.length / n]);
    const { perSample, correct } = batchLosses(tf.tensor2d(output, [n, width]), t, loss);
    return { loss: tf.sum(perSample).dataSync()[0]!, correct: correct ? tf.sum(correct).dataSync()[0]! : 0 };
  });
}

const logits = Float32Array.from([2, -1, 0.5, -3, 4, 0, 0.1, 0.2, 0.3, 30, -30, 0]);
const labels = Int32Array.from([0, 1, 2, 0]);

describe('lossSums', () => {
  // The method changed (method.md, "Losses"): cross-entropy is computed from logits only, so the
  // comparison on softmax probabilities and the test of Keras' clipping to [1e-7, 1 − 1e-7] went
  // with the clipping; the far-field test below checks the losses against float64 by hand.
  it('matches the tfjs engine for categorical cross-entropy on logits', () => {
    const expected = tfjsSums(logits, 3, labels, 'sparse_categorical_crossentropy');
    const actual = lossSums(logits, 3, 4, labels, 1, 0, 'sparse_categorical_crossentropy');
    expect(actual.loss).toBeCloseTo(expected.loss, 4);
    expect(actual.correct).toBe(expected.correct);
  });

  it('matches the tfjs engine for binary cross-entropy and mse', () => {
    const z = Float32Array.from([-2, 0.3, 5, -0.1]);
    const t = Int32Array.from([0, 1, 1, 1]);
    const expected = tfjsSums(z, 1, t, 'binary_crossentropy');
    const actual = lossSums(z, 1, 4, t, 1, 0, 'binary_crossentropy');
    expect(actual.loss).toBeCloseTo(expected.loss, 5);
    expect(actual.correct).toBe(expected.correct);
    const targets = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(lossSums(logits, 3, 4, targets, 3, 0, 'mse').loss).toBeCloseTo(tfjsSums(logits, 3, targets, 'mse').loss, 3);
  });

  it('reads the targets of a later batch from `first` and keeps NaN outputs NaN', () => {
    const second = logits.subarray(6);
    const batch = lossSums(second, 3, 2, labels, 1, 2, 'sparse_categorical_crossentropy');
    const whole = lossSums(logits, 3, 4, labels, 1, 0, 'sparse_categorical_crossentropy');
    const first = lossSums(logits.subarray(0, 6), 3, 2, labels, 1, 0, 'sparse_categorical_crossentropy');
    expect(first.loss + batch.loss).toBeCloseTo(whole.loss, 12);
    const nan = Float32Array.from([NaN, 0.5, 0.5]);
    expect(lossSums(nan, 3, 1, Int32Array.from([1]), 1, 0, 'sparse_categorical_crossentropy').loss).toBeNaN();
  });

  it('gives per-sample losses equal to a float64 hand computation, rising without bound in the far field (no plateau at 16.1)', () => {
    // Rows of logits with a correct class far behind: the clipped loss saturated at −log(1e-7) ≈ 16.1.
    const rows = [[2, -1, 0.5], [-20, 0, 3], [-50, 10, 0], [0, 200, -100], [-1000, 0, 1]];
    const rowLabels = Int32Array.from([0, 0, 0, 2, 0]);
    const byHand = rows.map((row, i) => {
      const max = Math.max(...row);
      return max + Math.log(row.reduce((s, z) => s + Math.exp(z - max), 0)) - row[rowLabels[i]!]!;
    });
    expect(byHand.slice(1).every((l) => l > 16.2)).toBe(true);
    const flat = Float32Array.from(rows.flat());
    rows.forEach((_, i) => {
      const own = lossSums(flat.subarray(3 * i, 3 * i + 3), 3, 1, rowLabels, 1, i, 'sparse_categorical_crossentropy').loss;
      expect(Math.abs(own - byHand[i]!)).toBeLessThanOrEqual(1e-12 * Math.max(1, byHand[i]!));
      const single = tfjsSums(flat.subarray(3 * i, 3 * i + 3), 3, rowLabels.subarray(i, i + 1), 'sparse_categorical_crossentropy').loss;
      expect(Math.abs(single - byHand[i]!)).toBeLessThanOrEqual(1e-6 * Math.max(1, byHand[i]!));
    });
    // Binary: −[t·log σ(z) + (1−t)·log σ(−z)] by hand, far on the wrong side of 0 too.
    const z = [-40, 25, 0.7, 300].map(Math.fround); // the float32 outputs the engines see
    const t = Int32Array.from([1, 0, 1, 0]);
    const binaryByHand = z.map((v, i) => (t[i] ? Math.log1p(Math.exp(-Math.abs(v))) + Math.max(-v, 0) : Math.log1p(Math.exp(-Math.abs(v))) + Math.max(v, 0)));
    expect(binaryByHand[0]).toBeGreaterThanOrEqual(40);
    z.forEach((v, i) => {
      const own = lossSums(Float32Array.from([v]), 1, 1, t, 1, i, 'binary_crossentropy').loss;
      expect(Math.abs(own - binaryByHand[i]!)).toBeLessThanOrEqual(1e-12 * Math.max(1, binaryByHand[i]!));
      const single = tfjsSums(Float32Array.from([v]), 1, t.subarray(i, i + 1), 'binary_crossentropy').loss;
      expect(Math.abs(single - binaryByHand[i]!)).toBeLessThanOrEqual(1e-6 * Math.max(1, binaryByHand[i]!));
    });
  });
});
