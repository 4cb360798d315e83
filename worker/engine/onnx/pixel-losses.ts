import { ContractError, type LossName } from '../../../contract/index.ts';
import type { LossSums } from './losses.ts';

/**
 * Per-pixel (segmentation) losses from output rows of logits, in float64. A sample's output is
 * channels-last [h, w, C] (tfjs models and exported graphs), its target one class label per pixel.
 *
 * - binary_crossentropy (C = 1, labels 0/1): per pixel −[t·log σ(z) + (1 − t)·log σ(−z)]
 *   = max(z, 0) − z·t + log(1 + e^−|z|); predicted foreground where z > 0.
 * - categorical / sparse_categorical_crossentropy (C ≥ 2): per pixel −log softmax(z)_t over the
 *   channel axis (max-shifted); predicted class = argmax (first maximum).
 *
 * A sample's loss is the mean over its P pixels; `loss` returns Σ sample losses (the evaluator
 * divides by N), `lossSquares` Σ of their squares. Its "accuracy" is its IoU (Jaccard index): binary, |pred ∩ target| / |pred ∪ target|
 * of the foreground; multi-class, the mean over the classes present in its prediction or target of
 * that class's IoU (background included). An empty union (no foreground predicted or true) counts
 * as 1. `correct` returns Σ sample IoUs, so accuracy = mean per-sample IoU = Σ IoU_i / N: the
 * per-image convention of binary segmentation benchmarks, and the method's Σ over samples / N.
 * Logits only: probabilities (sigmoid / softmax outputs) would have to be clipped, which flattens
 * the far field (method.md, Losses).
 */
export function pixelLossSums(
  output: Float32Array,
  width: number,
  count: number,
  targets: Int32Array | Float32Array,
  pixels: number,
  first: number,
  loss: LossName,
  /** When given, perSample[first + i] receives sample i's loss (its mean over pixels). */
  perSample?: Float64Array,
): LossSums {
  if (width % pixels !== 0) throw new ContractError('loss', `the model outputs ${width} values per sample, not a multiple of the ${pixels} target pixels`);
  const channels = width / pixels;
  const binary = loss === 'binary_crossentropy';
  if (binary && channels !== 1) throw new ContractError('loss', `binary cross-entropy needs one output channel per pixel, the model has ${channels}`);
  if (!binary && channels < 2) throw new ContractError('loss', `categorical cross-entropy needs at least 2 output channels per pixel, the model has ${channels}`);
  const classes = binary ? 2 : channels;
  const intersection = new Float64Array(classes);
  const union = new Float64Array(classes);
  let lossSum = 0;
  let lossSquares = 0;
  let iouSum = 0;
  for (let i = 0; i < count; i++) {
    intersection.fill(0);
    union.fill(0);
    let sampleLoss = 0;
    for (let p = 0; p < pixels; p++) {
      const label = targets[(first + i) * pixels + p]!;
      if (!(label >= 0 && label < classes && Number.isInteger(label))) {
        throw new ContractError('dataset', `pixel label ${label} is out of range for a model with ${classes} classes`);
      }
      const start = i * width + p * channels;
      let predicted: number;
      if (binary) {
        const z = output[start]!;
        sampleLoss += Math.max(z, 0) - z * label + Math.log1p(Math.exp(-Math.abs(z)));
        predicted = z > 0 ? 1 : 0;
      } else {
        let max = -Infinity;
        predicted = 0;
        for (let k = 0; k < channels; k++) {
          const z = output[start + k]!;
          if (z > max) (max = z), (predicted = k);
        }
        let sumExp = 0;
        for (let k = 0; k < channels; k++) sumExp += Math.exp(output[start + k]! - max);
        sampleLoss += -(output[start + label]! - max - Math.log(sumExp));
      }
      if (predicted === label) intersection[label]!++;
      union[label]!++;
      if (predicted !== label) union[predicted]!++;
    }
    const meanOverPixels = sampleLoss / pixels;
    lossSum += meanOverPixels;
    lossSquares += meanOverPixels * meanOverPixels;
    if (perSample) perSample[first + i] = meanOverPixels;
    iouSum += sampleIou(intersection, union, binary);
  }
  return { loss: lossSum, lossSquares, correct: iouSum };
}

/** Foreground IoU (binary) or mean IoU over the classes present in prediction or target; empty union → 1. */
function sampleIou(intersection: Float64Array, union: Float64Array, binary: boolean): number {
  if (binary) return union[1] === 0 ? 1 : intersection[1]! / union[1]!;
  let sum = 0;
  let present = 0;
  for (let k = 0; k < union.length; k++) {
    if (union[k] === 0) continue;
    sum += intersection[k]! / union[k]!;
    present++;
  }
  return sum / present;
}
