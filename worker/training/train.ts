import * as tf from '../engine/tfjs/tf.ts';
import type { DatasetArrays, DatasetSplitArrays } from '../../contract/dataset-codec.ts';
import type { LossName } from '../../contract/losses.ts';
import type { EpochMetrics, LearningRateSchedule, ResolvedOptimizer } from '../../contract/training.ts';
import { logitsTwin } from '../engine/tfjs/logits.ts';
import { batchLosses } from '../engine/tfjs/losses.ts';
import { saveLayersModel } from '../engine/tfjs/save-model.ts';
import { registerWasmConv2DBackpropFilter } from '../engine/tfjs/wasm-conv-filter-grad.ts';
import { gatherBatch, runEpochs, type Batch, type LoopOptions, type TrainingData, type TrainingStepper } from './loop.ts';

export { TrainingCancelled, TrainingDiverged, type TrainingData } from './loop.ts';

/** The tfjs training path: tfjs autodiff and tfjs optimizers on the variables of the model's logits twin. */

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

export interface TrainOptions extends Omit<LoopOptions, 'learningRate'> {
  optimizer: ResolvedOptimizer;
  /** Coupled L2: wd·θ added to the gradient of every trainable weight (PyTorch weight_decay). */
  weightDecay: number;
  /** Test-split batch size for the per-epoch evaluation. Default 500. */
  evaluationBatchSize?: number;
  onEpoch?: (metrics: EpochMetrics) => void | Promise<void>;
  schedule: LearningRateSchedule;
}

export interface TfjsStepperOptions extends Pick<TrainOptions, 'optimizer' | 'weightDecay' | 'evaluationBatchSize'> {
  /** What is minimized and measured. Default CLASSIFIER_OBJECTIVE. */
  objective?: Objective;
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

/** Inputs and int32 labels of a batch: [n] class labels, or [n, h·w] pixel labels. */
function batchTensors(batch: Batch, inputShape: number[]): { x: tf.Tensor; y: tf.Tensor } {
  const labels = batch.y.length / batch.n;
  const x = tf.tensor(batch.x, [batch.n, ...inputShape]);
  return { x, y: labels === 1 ? tf.tensor1d(batch.y, 'int32') : tf.tensor2d(batch.y, [batch.n, labels], 'int32') };
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
    const { x, y } = batchTensors(gatherBatch(split, rows, inputShape), inputShape);
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
 * Steps of a tfjs model with options.objective, computed from logits like PyTorch's
 * CrossEntropyLoss: the steps run on the model's logits twin (same weights, final softmax
 * stripped). Each step: forward in training mode (BN batch statistics, moving statistics updated),
 * tfjs gradients of the mean batch loss w.r.t. the trainable weights (+ wd·θ), one tfjs optimizer
 * step. `correct` is the batch's correct predictions (segmentation: the sum of per-sample IoUs).
 * `dispose` copies the twin's weights back into the model and frees the twin and the optimizer.
 */
export async function tfjsStepper(model: tf.LayersModel, inputShape: number[], options: TfjsStepperOptions): Promise<TrainingStepper & { dispose(): void }> {
  if (tf.getBackend() === 'wasm') registerWasmConv2DBackpropFilter();
  const objective = options.objective ?? CLASSIFIER_OBJECTIVE;
  const logits = await logitsTwin(model);
  const optimizer = createOptimizer(options.optimizer);
  const trainable = logits.trainableWeights.map((w) => w.read() as tf.Variable);
  return {
    async step(batch, learningRate) {
      setLearningRate(optimizer, learningRate);
      const { x, y } = batchTensors(batch, inputShape);
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
      const loss = (await batchLoss!.data())[0]!;
      const correct = (await batchCorrect!.data())[0]!;
      tf.dispose([x, y, batchLoss!, batchCorrect!]);
      return { loss, correct };
    },
    evaluate: (split) => evaluateLogits(logits, split, inputShape, options.evaluationBatchSize ?? 500, objective),
    // The twin's weights file has the model's order and layouts: these are the model's parameters.
    parameters: () => flatParameters(logits),
    dispose() {
      model.setWeights(logits.getWeights());
      optimizer.dispose();
      logits.dispose();
    },
  };
}

/**
 * Train a model in place on tfjs on integer labels with data.objective (default: a softmax
 * classifier with categorical cross-entropy; per-pixel BCE/CE for segmentation), from logits (the
 * epoch loop of loop.ts). Deterministic for a given model init, data, options and backend.
 * Returns the per-epoch metrics.
 */
export async function trainModel(model: tf.LayersModel, data: TrainingData & { objective?: Objective }, options: TrainOptions): Promise<EpochMetrics[]> {
  const stepper = await tfjsStepper(model, data.inputShape, { ...options, ...(data.objective ? { objective: data.objective } : {}) });
  try {
    return await runEpochs(stepper, data, { ...options, learningRate: options.optimizer.learningRate });
  } finally {
    stepper.dispose();
  }
}
