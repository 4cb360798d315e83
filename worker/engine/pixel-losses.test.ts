import * as tf from './tfjs/tf.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LossName } from '../../contract/index.ts';
import { fixedNumbers } from '../../test/engine-helpers.ts';
import { builtinDataset } from '../datasets/builtin.ts';
import { evaluationData } from '../datasets/select.ts';
import { unet } from '../zoo/unet.ts';
import { OnnxEvaluator } from './onnx/evaluator.ts';
import { lossSums } from './onnx/losses.ts';
import { layersModelArtifact } from './tfjs/artifact.ts';
import { initTfjs } from './tfjs/backend.ts';
import { TfjsEvaluator } from './tfjs/evaluator.ts';
import { batchLosses } from './tfjs/losses.ts';
import { saveLayersModel } from './tfjs/save-model.ts';

/**
 * Per-pixel losses and IoU of both engines (onnx: float64 in TS over output rows; tfjs: tensors)
 * against an independent float64 computation written from the textbook formulas: σ and softmax
 * evaluated directly (no log-sum-exp tricks), IoU from sets of pixel indices.
 */

beforeAll(async () => {
  await initTfjs();
});

interface Reference { loss: number; iou: number; dice: number }

/** Σ over samples of the mean pixel loss, Σ of per-sample IoU and Dice (empty union → 1). */
function reference(output: Float32Array, targets: Int32Array, n: number, pixels: number, channels: number): Reference {
  let loss = 0;
  let iou = 0;
  let dice = 0;
  for (let i = 0; i < n; i++) {
    let sampleLoss = 0;
    const predictedSets = new Map<number, Set<number>>();
    const trueSets = new Map<number, Set<number>>();
    for (let p = 0; p < pixels; p++) {
      const t = targets[i * pixels + p]!;
      const z = Array.from({ length: channels }, (_, k) => output[(i * pixels + p) * channels + k]!);
      let predicted: number;
      if (channels === 1) {
        const sigma = 1 / (1 + Math.exp(-z[0]!));
        sampleLoss += -(t * Math.log(sigma) + (1 - t) * Math.log(1 - sigma));
        predicted = sigma > 0.5 ? 1 : 0;
      } else {
        const exps = z.map(Math.exp);
        sampleLoss += -Math.log(exps[t]! / exps.reduce((a, b) => a + b, 0));
        predicted = z.indexOf(Math.max(...z));
      }
      if (!predictedSets.has(predicted)) predictedSets.set(predicted, new Set());
      if (!trueSets.has(t)) trueSets.set(t, new Set());
      predictedSets.get(predicted)!.add(p);
      trueSets.get(t)!.add(p);
    }
    loss += sampleLoss / pixels;
    const classes = channels === 1 ? [1] : [...new Set([...predictedSets.keys(), ...trueSets.keys()])];
    const scores = classes.map((k) => {
      const a = predictedSets.get(k) ?? new Set<number>();
      const b = trueSets.get(k) ?? new Set<number>();
      const both = [...a].filter((p) => b.has(p)).length;
      const either = new Set([...a, ...b]).size;
      return either === 0 ? [1, 1] : [both / either, (2 * both) / (a.size + b.size)];
    });
    iou += scores.reduce((s, [j]) => s + j!, 0) / scores.length;
    dice += scores.reduce((s, [, d]) => s + d!, 0) / scores.length;
  }
  return { loss, iou, dice };
}

function tfjsSums(output: Float32Array, shape: number[], targets: Int32Array, loss: LossName) {
  return tf.tidy(() => {
    const n = shape[0]!;
    const { perSample, correct } = batchLosses(tf.tensor(output, shape), tf.tensor2d(targets, [n, targets.length / n], 'int32'), loss);
    return { loss: tf.sum(perSample).dataSync()[0]!, correct: tf.sum(correct!).dataSync()[0]! };
  });
}

describe('per-pixel losses from logits', () => {
  it('a 2×2 binary mask worked by hand: mean BCE 1.1157, IoU 1/3 (Dice 1/2)', () => {
    // log(1 + e^−2), log(1 + e^−1), log(1 + e^0.5), log(1 + e^3): pixels 1, 0, 0, 1 with logits 2, −1, 0.5, −3.
    const output = Float32Array.from([2, -1, 0.5, -3]);
    const targets = Int32Array.from([1, 0, 0, 1]);
    const byHand = (0.1269280110429725 + 0.31326168751822286 + 0.9740769841801067 + 3.048587351573742) / 4;
    const ref = reference(output, targets, 1, 4, 1);
    expect(ref.loss).toBeCloseTo(byHand, 12);
    expect([ref.iou, ref.dice]).toEqual([1 / 3, 1 / 2]);
    const onnx = lossSums(output, 4, 1, targets, 4, 0, 'binary_crossentropy');
    expect(onnx.loss).toBeCloseTo(byHand, 7);
    expect(onnx.correct).toBeCloseTo(1 / 3, 12);
    const tfjs = tfjsSums(output, [1, 2, 2, 1], targets, 'binary_crossentropy');
    expect(tfjs.loss).toBeCloseTo(byHand, 6);
    expect(tfjs.correct).toBeCloseTo(1 / 3, 6);
  });

  it('an empty mask predicted empty scores IoU 1; a missed one 0', () => {
    const targets = new Int32Array(4);
    expect(lossSums(Float32Array.from([-1, -2, -3, -4]), 4, 1, targets, 4, 0, 'binary_crossentropy').correct).toBe(1);
    expect(lossSums(Float32Array.from([-1, -2, -3, -4]), 4, 1, Int32Array.from([0, 1, 0, 0]), 4, 0, 'binary_crossentropy').correct).toBe(0);
    expect(tfjsSums(Float32Array.from([-1, -2, -3, -4]), [1, 2, 2, 1], targets, 'binary_crossentropy').correct).toBe(1);
  });

  for (const [label, channels, loss] of [['binary', 1, 'binary_crossentropy'], ['4-class', 4, 'sparse_categorical_crossentropy'], ['3-class', 3, 'categorical_crossentropy']] as const) {
    it(`${label}: both engines equal the float64 reference on random logits (loss 1e-6 relative, IoU exactly)`, () => {
      const [n, h, w] = [5, 6, 7];
      const pixels = h * w;
      const output = fixedNumbers(n * pixels * channels, 40 + channels).map((v) => 6 * v);
      const classes = channels === 1 ? 2 : channels;
      // Targets agree with the logits' argmax on about half of the pixels so that IoU is neither 0 nor 1.
      const targets = Int32Array.from(fixedNumbers(n * pixels, 50 + channels), (v, q) => {
        if (v > 0) return Math.floor(((v + 1) / 2) * classes) % classes;
        const z = Array.from(output.subarray(q * channels, (q + 1) * channels));
        return channels === 1 ? Number(z[0]! > 0) : z.indexOf(Math.max(...z));
      });
      const ref = reference(output, targets, n, pixels, channels);
      expect(ref.iou / n).toBeGreaterThan(0.1);
      expect(ref.iou / n).toBeLessThan(0.9);
      // Batches: the onnx sums start at sample `first` of the targets.
      const onnx = [0, 2].map((first) => lossSums(output.subarray(first * pixels * channels, (first + (first ? 3 : 2)) * pixels * channels), pixels * channels, first ? 3 : 2, targets, pixels, first, loss));
      const onnxLoss = onnx[0]!.loss + onnx[1]!.loss;
      expect(Math.abs(onnxLoss - ref.loss)).toBeLessThanOrEqual(1e-6 * ref.loss);
      expect(onnx[0]!.correct + onnx[1]!.correct).toBeCloseTo(ref.iou, 12);
      const tfjs = tfjsSums(output, [n, h, w, channels], targets, loss);
      expect(Math.abs(tfjs.loss - ref.loss)).toBeLessThanOrEqual(1e-5 * ref.loss);
      expect(tfjs.correct).toBeCloseTo(ref.iou, 5);
    });
  }

  it('rejects probabilities, wrong channel counts and labels out of range, naming the field', () => {
    const targets = Int32Array.from([0, 1, 0, 1]);
    expect(() => lossSums(new Float32Array(8), 8, 1, targets, 4, 0, 'binary_crossentropy')).toThrow(/^loss: binary cross-entropy needs one output channel/);
    expect(() => lossSums(new Float32Array(4), 4, 1, targets, 4, 0, 'sparse_categorical_crossentropy')).toThrow(/^loss: categorical/);
    expect(() => lossSums(new Float32Array(4), 4, 1, Int32Array.from([0, 2, 0, 0]), 4, 0, 'binary_crossentropy')).toThrow(/^dataset: pixel label 2/);
    expect(() => tfjsSums(new Float32Array(8), [1, 2, 2, 2], targets, 'binary_crossentropy')).toThrow(/^loss: binary/);
  });
});

describe('both evaluators on a U-Net over mnist-seg', () => {
  const evaluators: { tfjs?: TfjsEvaluator; onnx?: OnnxEvaluator } = {};
  afterAll(() => {
    evaluators.tfjs?.dispose();
    evaluators.onnx?.dispose();
  });

  it.each(['concat', 'none'] as const)('skips=%s: same loss (1e-5 relative) and IoU as accuracy, at θ and a perturbed θ', async (skips) => {
    const model = unet({ depth: 2, skips, inputShape: [28, 28, 1], classes: 2, width: 0.25, seed: 3 });
    const artifact = layersModelArtifact(await saveLayersModel(model), `unet-${skips}`);
    model.dispose();
    const { data } = evaluationData(builtinDataset('mnist-seg'), 'test', 40, 0);
    const results: Record<string, { loss: number; accuracy: number | null }[]> = {};
    for (const engine of ['tfjs', 'onnx'] as const) {
      if (engine === 'tfjs') evaluators.tfjs ??= await TfjsEvaluator.create();
      else evaluators.onnx ??= await OnnxEvaluator.create();
      const evaluator = evaluators[engine]!;
      await evaluator.load(artifact);
      await evaluator.setData(data);
      const theta = evaluator.storedParameters();
      const direction = fixedNumbers(theta.length, 9);
      results[engine] = [];
      for (const alpha of [0, 0.3]) {
        await evaluator.setParameters(theta.map((t, i) => (artifact.parameters.some((p) => p.role === 'bn_moving_variance' && i >= p.offset && i < p.offset + p.size) ? t : t + alpha * direction[i]! * (Math.abs(t) + 0.01))));
        results[engine]!.push(await evaluator.evaluate({ loss: 'binary_crossentropy', batchSize: 16 }));
      }
    }
    results.tfjs!.forEach((expected, k) => {
      const actual = results.onnx![k]!;
      expect(Number.isFinite(expected.loss)).toBe(true);
      expect(Math.abs(actual.loss - expected.loss)).toBeLessThanOrEqual(1e-5 * expected.loss);
      expect(expected.accuracy).toBeGreaterThanOrEqual(0);
      expect(expected.accuracy).toBeLessThanOrEqual(1);
      expect(actual.accuracy).toBeCloseTo(expected.accuracy!, 4);
    });
  });
});
