import { ContractError, type LossName } from '../../../contract/index.ts';
import { pixelLossSums } from './pixel-losses.ts';

/**
 * Per-sample losses from a model's output rows, in float64, with the tfjs engine's definitions
 * (worker/engine/tfjs/losses.ts). For the cross-entropies the rows are logits (a final
 * softmax/sigmoid is stripped from the graph, output-logits.ts): log-softmax / log-sigmoid of
 * them, like PyTorch's CrossEntropyLoss and BCEWithLogitsLoss.
 */
export interface LossSums {
  loss: number;
  /** Σ of the squared per-sample losses: with `loss` it gives the standard error (meanStandardError). */
  lossSquares: number;
  correct: number;
}

function argMax(row: Float32Array, start: number, width: number): number {
  let best = 0;
  for (let k = 1; k < width; k++) if (row[start + k]! > row[start + best]!) best = k;
  return best;
}

function categoricalSample(out: Float32Array, start: number, width: number, label: number): number {
  let max = -Infinity;
  for (let k = 0; k < width; k++) max = Math.max(max, out[start + k]!);
  let sumExp = 0;
  for (let k = 0; k < width; k++) sumExp += Math.exp(out[start + k]! - max);
  return -(out[start + label]! - max - Math.log(sumExp));
}

/** −[t·log σ(z) + (1−t)·log σ(−z)], stable for large |z|. */
function binarySample(z: number, t: number): number {
  return Math.max(z, 0) - z * t + Math.log1p(Math.exp(-Math.abs(z)));
}

/**
 * Sums of per-sample losses, of their squares and of correct predictions over `count` output rows of `width`
 * values, whose targets start at sample `first` of `targets` (int32 labels, or float rows of
 * `targetWidth` values).
 */
export function lossSums(
  output: Float32Array,
  width: number,
  count: number,
  targets: Int32Array | Float32Array,
  targetWidth: number,
  first: number,
  loss: LossName,
  /** When given, perSample[first + i] receives sample i's loss. */
  perSample?: Float64Array,
): LossSums {
  if (loss !== 'mse' && targetWidth > 1) return pixelLossSums(output, width, count, targets, targetWidth, first, loss, perSample);
  let lossSum = 0;
  let lossSquares = 0;
  let correct = 0;
  const add = (i: number, sampleLoss: number) => {
    lossSum += sampleLoss;
    lossSquares += sampleLoss * sampleLoss;
    if (perSample) perSample[first + i] = sampleLoss;
  };
  switch (loss) {
    case 'categorical_crossentropy':
    case 'sparse_categorical_crossentropy':
      if (width < 2) throw new ContractError('loss', `categorical cross-entropy needs at least 2 outputs per sample, the model has ${width}`);
      for (let i = 0; i < count; i++) {
        const label = targets[first + i]!;
        add(i, categoricalSample(output, i * width, width, label));
        if (argMax(output, i * width, width) === label) correct++;
      }
      break;
    case 'binary_crossentropy':
      if (width !== 1) throw new ContractError('loss', `binary cross-entropy needs one output per sample, the model has ${width}`);
      for (let i = 0; i < count; i++) {
        const z = output[i]!;
        const t = targets[first + i]!;
        add(i, binarySample(z, t));
        const predicted = z > 0; // σ(z) > 0.5
        if (Number(predicted) === t) correct++;
      }
      break;
    case 'mse': {
      if (targetWidth !== width) throw new ContractError('loss', `mse targets have ${targetWidth} values per sample but the model outputs ${width}`);
      for (let i = 0; i < count; i++) {
        let sum = 0;
        for (let k = 0; k < width; k++) {
          const d = output[i * width + k]! - targets[(first + i) * width + k]!;
          sum += d * d;
        }
        add(i, sum / width);
      }
      break;
    }
  }
  return { loss: lossSum, lossSquares, correct };
}
