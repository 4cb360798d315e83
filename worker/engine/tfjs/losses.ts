import * as tf from './tf.ts';
import { ContractError, type LossName } from '../../../contract/index.ts';
import { pixelBatchLosses } from './pixel-losses.ts';

export interface BatchLosses {
  /** Loss of each sample of the batch, [b]. */
  perSample: tf.Tensor1D;
  /** 1 where the prediction is right, else 0, [b]; null for regression losses. */
  correct: tf.Tensor1D | null;
}

function rowsOf(output: tf.Tensor): tf.Tensor2D {
  return tf.reshape(output, [output.shape[0]!, -1]) as tf.Tensor2D;
}

function categorical(output: tf.Tensor2D, labels: tf.Tensor1D): BatchLosses {
  const classes = output.shape[1];
  if (classes < 2) throw new ContractError('loss', `categorical cross-entropy needs at least 2 outputs per sample, the model has ${classes}`);
  const logProbabilities = tf.logSoftmax(output);
  const oneHot = tf.oneHot(labels, classes);
  const perSample = tf.neg(tf.sum(tf.mul(oneHot, logProbabilities), -1)) as tf.Tensor1D;
  const correct = tf.cast(tf.equal(tf.argMax(output, -1), labels), 'float32') as tf.Tensor1D;
  return { perSample, correct };
}

function binary(output: tf.Tensor2D, labels: tf.Tensor1D): BatchLosses {
  if (output.shape[1] !== 1) throw new ContractError('loss', `binary cross-entropy needs one output per sample, the model has ${output.shape[1]}`);
  const z = tf.reshape(output, [-1]) as tf.Tensor1D;
  const t = tf.cast(labels, 'float32');
  // −[t·log σ(z) + (1−t)·log σ(−z)] = max(z, 0) − z·t + log(1 + e^−|z|), stable for large |z|.
  const perSample = tf.add(tf.sub(tf.relu(z), tf.mul(z, t)), tf.log1p(tf.exp(tf.neg(tf.abs(z))))) as tf.Tensor1D;
  const predicted = tf.greater(z, 0); // σ(z) > 0.5
  const correct = tf.cast(tf.equal(tf.cast(predicted, 'int32'), labels), 'float32') as tf.Tensor1D;
  return { perSample, correct };
}

function meanSquared(output: tf.Tensor2D, targets: tf.Tensor): BatchLosses {
  const t = tf.reshape(targets, [targets.shape[0]!, -1]);
  if (t.shape[1] !== output.shape[1]) {
    throw new ContractError('loss', `mse targets have ${t.shape[1]} values per sample but the model outputs ${output.shape[1]}`);
  }
  return { perSample: tf.mean(tf.squaredDifference(output, t), -1) as tf.Tensor1D, correct: null };
}

/**
 * Per-sample losses of one batch (call inside tf.tidy). `targets` holds int32 class labels [b]
 * for the cross-entropies (int32 pixel labels [b, h·w]: per-pixel losses, pixel-losses.ts) and float targets [b, ...] for mse. `output` is logits for the
 * cross-entropies: log-softmax / log-sigmoid of it, like PyTorch's CrossEntropyLoss and
 * BCEWithLogitsLoss (a model's final softmax/sigmoid is stripped when it is loaded, logits.ts).
 */
export function batchLosses(output: tf.Tensor, targets: tf.Tensor, loss: LossName): BatchLosses {
  if (loss !== 'mse' && targets.rank === 2) return pixelBatchLosses(output, targets, loss);
  const rows = rowsOf(output);
  switch (loss) {
    case 'categorical_crossentropy':
    case 'sparse_categorical_crossentropy':
      return categorical(rows, targets as tf.Tensor1D);
    case 'binary_crossentropy':
      return binary(rows, targets as tf.Tensor1D);
    case 'mse':
      return meanSquared(rows, targets);
  }
}
