import * as tf from '../engine/tfjs/tf.ts';
import type { DatasetArrays, DatasetSplitArrays } from '../../contract/dataset-codec.ts';
import type { LossName } from '../../contract/losses.ts';
import type { EpochMetrics, LearningRateSchedule, ResolvedOptimizer } from '../../contract/training.ts';
import { uniformStream } from '../numeric/rng.ts';
import { logitsTwin } from '../engine/tfjs/logits.ts';
import { batchLosses } from '../engine/tfjs/losses.ts';
import { saveLayersModel } from '../engine/tfjs/save-model.ts';
import { registerWasmConv2DBackpropFilter } from '../engine/tfjs/wasm-conv-filter-grad.ts';
import { learningRateAt } from './schedule.ts';

export interface TrainingData {
  train: DatasetSplitArrays;
  test: DatasetSplitArrays;
  /** One sample's shape, without the batch axis. */
  inputShape: number[];
  /** What is minimized and measured. Default CLASSIFIER_OBJECTIVE. */
  objective?: Objective;
}

/** The loss a model trains with (always from its logits). */
export interface Objective { loss: LossName }

/** Zoo classifiers: categorical cross-entropy of their softmax output. */
export const CLASSIFIER_OBJECTIVE: Objective = { loss: 'categorical_crossentropy' };

/**
 * The objective of a zoo model on a dataset: softmax classifiers for classification; for
 * segmentation per-pixel logits with per-pixel BCE (2 classes, one logit) or CE (more), whose
 * "accuracy" is the mean per-sample IoU (engine/onnx/pixel-losses.ts).
 */
export function trainingObjective(dataset: Pick<DatasetArrays, 'task' | 'classes'>): Objective {
  if (dataset.task !== 'segmentation') return CLASSIFIER_OBJECTIVE;
  return { loss: dataset.classes === 2 ? 'binary_crossentropy' : 'sparse_categorical_crossentropy' };
}

export interface TrainOptions {
  epochs: number;
  /** The last batch of an epoch may be short. */
  batchSize: number;
  optimizer: ResolvedOptimizer;
  schedule: LearningRateSchedule;
  /** Coupled L2: wd·θ added to the gradient of every trainable weight (PyTorch weight_decay). */
  weightDecay: number;
  /** Seeds the per-epoch Fisher–Yates shuffles (one uniformStream across epochs). */
  shuffleSeed: number;
  /** Store θ every k epochs, and θ before training (epoch 0); 0 = never. */
  checkpointEvery: number;
  /** Test-split batch size for the per-epoch evaluation. Default 500. */
  evaluationBatchSize?: number;
  onEpoch?: (metrics: EpochMetrics) => void | Promise<void>;
  /** θ flat in parameter-model order (the order of the saved weights.bin), BN statistics included. */
  onCheckpoint?: (epoch: number, parameters: Float32Array) => void | Promise<void>;
  /** Polled between batches; true stops training with TrainingCancelled. */
  isCancelled?: () => boolean | Promise<boolean>;
}

export class TrainingCancelled extends Error {
  constructor() {
    super('training was cancelled');
    this.name = 'TrainingCancelled';
  }
}

/** θ flat in parameter-model order: exactly the weights.bin a save writes (manifest order). */
export async function flatParameters(model: tf.LayersModel): Promise<Float32Array> {
  const files = await saveLayersModel(model);
  const bytes = files['weights.bin'];
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

function createOptimizer(spec: ResolvedOptimizer): tf.Optimizer {
  return spec.name === 'sgd'
    ? spec.momentum === 0
      ? tf.train.sgd(spec.learningRate)
      : tf.train.momentum(spec.learningRate, spec.momentum, spec.nesterov)
    : tf.train.adam(spec.learningRate, spec.beta1, spec.beta2, spec.epsilon);
}

function setLearningRate(optimizer: tf.Optimizer, rate: number): void {
  // SGD and Momentum cache −lr as a scalar (setLearningRate refreshes it); Adam reads the field every step.
  const target = optimizer as unknown as { learningRate: number; setLearningRate?: (rate: number) => void };
  if (typeof target.setLearningRate === 'function') target.setLearningRate(rate);
  else target.learningRate = rate;
}

function shuffledOrder(n: number, random: () => number): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

/** Inputs and int32 labels of the rows: [b] class labels, or [b, h·w] pixel labels. */
function gatherBatch(split: DatasetSplitArrays, rows: ArrayLike<number>, inputShape: number[]): { x: tf.Tensor; y: tf.Tensor } {
  const size = inputShape.reduce((a, b) => a * b, 1);
  const labels = split.y.length / split.n;
  const x = new Float32Array(rows.length * size);
  const y = new Int32Array(rows.length * labels);
  for (let k = 0; k < rows.length; k++) {
    const row = rows[k]!;
    x.set(split.x.subarray(row * size, (row + 1) * size), k * size);
    y.set(split.y.subarray(row * labels, (row + 1) * labels), k * labels);
  }
  return { x: tf.tensor(x, [rows.length, ...inputShape]), y: labels === 1 ? tf.tensor1d(y, 'int32') : tf.tensor2d(y, [rows.length, labels], 'int32') };
}

/**
 * Mean loss (from logits) and accuracy (IoU for segmentation) over a whole split, BN in inference
 * mode, through the model's logits twin.
 */
export async function evaluateSplit(
  model: tf.LayersModel,
  split: DatasetSplitArrays,
  inputShape: number[],
  batchSize = 500,
  objective: Objective = CLASSIFIER_OBJECTIVE,
): Promise<{ loss: number; accuracy: number }> {
  const logits = await logitsTwin(model);
  try {
    return await evaluateLogits(logits, split, inputShape, batchSize, objective);
  } finally {
    logits.dispose();
  }
}

async function evaluateLogits(logits: tf.LayersModel, split: DatasetSplitArrays, inputShape: number[], batchSize: number, objective: Objective): Promise<{ loss: number; accuracy: number }> {
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < split.n; start += batchSize) {
    const rows = Array.from({ length: Math.min(batchSize, split.n - start) }, (_, k) => start + k);
    const { x, y } = gatherBatch(split, rows, inputShape);
    const [batchLoss, batchCorrect] = tf.tidy(() => {
      const losses = batchLosses(logits.predict(x) as tf.Tensor, y, objective.loss);
      return [tf.sum(losses.perSample), tf.sum(losses.correct!)];
    });
    lossSum += (await batchLoss!.data())[0]!;
    correct += (await batchCorrect!.data())[0]!;
    tf.dispose([x, y, batchLoss!, batchCorrect!]);
  }
  return { loss: lossSum / split.n, accuracy: correct / split.n };
}

/**
 * Train a model in place on integer labels with data.objective (default: a softmax classifier with
 * categorical cross-entropy; per-pixel BCE/CE for segmentation), computed from logits like
 * PyTorch's CrossEntropyLoss: the steps run on the model's logits twin (same weights, final
 * softmax stripped), whose weights are copied back at the end. Each batch:
 * forward in training mode (BN batch statistics, moving statistics updated), gradients of the mean
 * batch loss w.r.t. the trainable weights (+ wd·θ), one optimizer step. Deterministic for a given
 * model init, data, options and backend. Returns the per-epoch metrics.
 */
export async function trainModel(model: tf.LayersModel, data: TrainingData, options: TrainOptions): Promise<EpochMetrics[]> {
  if (tf.getBackend() === 'wasm') registerWasmConv2DBackpropFilter();
  const optimizer = createOptimizer(options.optimizer);
  const random = uniformStream(options.shuffleSeed);
  const logits = await logitsTwin(model);
  const trainable = logits.trainableWeights.map((w) => w.read() as tf.Variable);
  const history: EpochMetrics[] = [];
  const objective = data.objective ?? CLASSIFIER_OBJECTIVE;
  try {
    // The twin's weights file has the model's order and layouts: the checkpoints are the model's.
    if (options.checkpointEvery > 0) await options.onCheckpoint?.(0, await flatParameters(logits));
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      const started = performance.now();
      const learningRate = learningRateAt(options.optimizer.learningRate, options.schedule, epoch, options.epochs);
      setLearningRate(optimizer, learningRate);
      const order = shuffledOrder(data.train.n, random);
      let lossSum = 0;
      let correct = 0;
      for (let start = 0; start < data.train.n; start += options.batchSize) {
        if (await options.isCancelled?.()) throw new TrainingCancelled();
        const rows = order.subarray(start, Math.min(start + options.batchSize, data.train.n));
        const { x, y } = gatherBatch(data.train, rows, data.inputShape);
        const [batchLoss, batchCorrect] = tf.tidy(() => {
          let correctInBatch: tf.Scalar | null = null;
          const { value, grads } = tf.variableGrads(() => {
            const output = logits.apply(x, { training: true }) as tf.Tensor;
            const losses = batchLosses(output, y, objective.loss);
            correctInBatch = tf.keep(tf.sum(losses.correct!) as tf.Scalar);
            return tf.mean(losses.perSample) as tf.Scalar;
          }, trainable);
          if (options.weightDecay > 0) {
            for (const variable of trainable) grads[variable.name] = tf.add(grads[variable.name]!, tf.mul(variable, options.weightDecay));
          }
          optimizer.applyGradients(grads);
          return [value, correctInBatch!];
        });
        lossSum += (await batchLoss!.data())[0]! * rows.length;
        correct += (await batchCorrect!.data())[0]!;
        tf.dispose([x, y, batchLoss!, batchCorrect!]);
      }
      const test = await evaluateLogits(logits, data.test, data.inputShape, options.evaluationBatchSize ?? 500, objective);
      const metrics: EpochMetrics = {
        epoch: epoch + 1,
        learningRate,
        loss: lossSum / data.train.n,
        accuracy: correct / data.train.n,
        testLoss: test.loss,
        testAccuracy: test.accuracy,
        seconds: (performance.now() - started) / 1000,
      };
      history.push(metrics);
      await options.onEpoch?.(metrics);
      if (options.checkpointEvery > 0 && ((epoch + 1) % options.checkpointEvery === 0 || epoch + 1 === options.epochs)) {
        await options.onCheckpoint?.(epoch + 1, await flatParameters(logits));
      }
    }
    return history;
  } finally {
    model.setWeights(logits.getWeights());
    optimizer.dispose();
    logits.dispose();
  }
}
