import * as tf from './tf.ts';
import { ContractError, type LossName } from '../../../contract/index.ts';
import type { BatchLosses } from './losses.ts';

/**
 * Per-pixel (segmentation) losses of one batch from logits (call inside tf.tidy), with the
 * definitions of worker/engine/onnx/pixel-losses.ts: output [b, h, w, C] (C = 1 for
 * binary_crossentropy, C ≥ 2 for the categorical ones), targets int32 [b, h·w] pixel labels.
 * perSample = the mean per-pixel loss of each sample (log-sigmoid BCE, or log-softmax CE over the
 * channel axis); correct = each sample's IoU (foreground for binary, mean over the classes present
 * in prediction or target for more; an empty union counts as 1), so Σ / N is the mean per-sample IoU.
 */
export function pixelBatchLosses(output: tf.Tensor, targets: tf.Tensor, loss: LossName): BatchLosses {
  const [batch, pixels] = targets.shape as [number, number];
  const channels = output.size / (batch * pixels);
  if (!Number.isInteger(channels)) throw new ContractError('loss', `the model outputs ${output.size / batch} values per sample, not a multiple of the ${pixels} target pixels`);
  if (loss === 'binary_crossentropy') {
    if (channels !== 1) throw new ContractError('loss', `binary cross-entropy needs one output channel per pixel, the model has ${channels}`);
    const z = tf.reshape(output, [batch, pixels]);
    const t = tf.cast(targets, 'float32');
    // −[t·log σ(z) + (1−t)·log σ(−z)] = max(z, 0) − z·t + log(1 + e^−|z|), stable for large |z|.
    const perPixel = tf.add(tf.sub(tf.relu(z), tf.mul(z, t)), tf.log1p(tf.exp(tf.neg(tf.abs(z)))));
    const predicted = tf.cast(tf.greater(z, 0), 'float32');
    const intersection = tf.sum(tf.mul(predicted, t), -1);
    const union = tf.sum(tf.maximum(predicted, t), -1);
    const iou = tf.where(tf.equal(union, 0), tf.onesLike(union), tf.div(intersection, tf.maximum(union, 1)));
    return { perSample: tf.mean(perPixel, -1) as tf.Tensor1D, correct: iou as tf.Tensor1D };
  }
  if (channels < 2) throw new ContractError('loss', `categorical cross-entropy needs at least 2 output channels per pixel, the model has ${channels}`);
  const logits = tf.reshape(output, [batch, pixels, channels]);
  const truth = tf.oneHot(tf.cast(targets, 'int32'), channels);
  const perPixel = tf.neg(tf.sum(tf.mul(truth, tf.logSoftmax(logits)), -1));
  const predicted = tf.oneHot(tf.argMax(logits, -1), channels);
  const intersection = tf.sum(tf.mul(predicted, truth), 1);
  const union = tf.sum(tf.maximum(predicted, truth), 1);
  const present = tf.cast(tf.greater(union, 0), 'float32');
  const iou = tf.div(tf.sum(tf.div(intersection, tf.maximum(union, 1)), -1), tf.sum(present, -1));
  return { perSample: tf.mean(perPixel, -1) as tf.Tensor1D, correct: iou as tf.Tensor1D };
}
