import * as tf from '@tensorflow/tfjs';
import type { DatasetSplitArrays } from '../../contract/dataset-codec.ts';
import type { EpochMetrics, LearningRateSchedule, ResolvedOptimizer } from '../../contract/training.ts';
import { batchLosses } from '../engine/tfjs/losses.ts';
import { saveLayersModel } from '../engine/tfjs/save-model.ts';
import { registerWasmConv2DBackpropFilter } from '../engine/tfjs/wasm-conv-filter-grad.ts';
import { runEpochs, type Batch, type LoopOptions, type TrainingData, type TrainingStepper } from './loop.ts';

export { TrainingCancelled, TrainingDiverged, type TrainingData } from './loop.ts';

/** The tfjs training path: tfjs autodiff and tfjs optimizers on the model's own variables. */

export interface TrainOptions extends Omit<LoopOptions, 'learningRate'> {
  optimizer: ResolvedOptimizer;
  /** Coupled L2: wd·θ added to the gradient of every trainable weight (PyTorch weight_decay). */
  weightDecay: number;
  /** Test-split batch size for the per-epoch evaluation. Default 500. */
  evaluationBatchSize?: number;
  onEpoch?: (metrics: EpochMetrics) => void | Promise<void>;
  schedule: LearningRateSchedule;
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

function batchTensors(batch: Batch, inputShape: number[]): { x: tf.Tensor; y: tf.Tensor1D } {
  return { x: tf.tensor(batch.x, [batch.n, ...inputShape]), y: tf.tensor1d(batch.y, 'int32') };
}

/** Mean categorical cross-entropy and accuracy over a whole split, BN in inference mode. */
export async function evaluateSplit(model: tf.LayersModel, split: DatasetSplitArrays, inputShape: number[], batchSize = 500): Promise<{ loss: number; accuracy: number }> {
  const size = inputShape.reduce((a, b) => a * b, 1);
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < split.n; start += batchSize) {
    const end = Math.min(start + batchSize, split.n);
    const { x, y } = batchTensors({ x: split.x.subarray(start * size, end * size), y: Int32Array.from(split.y.subarray(start, end)), n: end - start }, inputShape);
    const [batchLoss, batchCorrect] = tf.tidy(() => {
      const losses = batchLosses(model.predict(x) as tf.Tensor, y, 'categorical_crossentropy', 'softmax');
      return [losses.perSample.sum(), losses.correct!.sum()];
    });
    lossSum += (await batchLoss!.data())[0]!;
    correct += (await batchCorrect!.data())[0]!;
    tf.dispose([x, y, batchLoss!, batchCorrect!]);
  }
  return { loss: lossSum / split.n, accuracy: correct / split.n };
}

/**
 * Steps of a tfjs model in place: forward in training mode (BN batch statistics, moving statistics
 * updated), tfjs gradients of the mean batch loss w.r.t. the trainable weights (+ wd·θ), one tfjs
 * optimizer step. The caller disposes the returned optimizer's state with `dispose`.
 */
export function tfjsStepper(model: tf.LayersModel, inputShape: number[], options: Pick<TrainOptions, 'optimizer' | 'weightDecay' | 'evaluationBatchSize'>): TrainingStepper & { dispose(): void } {
  if (tf.getBackend() === 'wasm') registerWasmConv2DBackpropFilter();
  const optimizer = createOptimizer(options.optimizer);
  const trainable = model.trainableWeights.map((w) => w.read() as tf.Variable);
  return {
    async step(batch, learningRate) {
      setLearningRate(optimizer, learningRate);
      const { x, y } = batchTensors(batch, inputShape);
      const [batchLoss, batchCorrect] = tf.tidy(() => {
        let correctInBatch: tf.Scalar | null = null;
        const { value, grads } = tf.variableGrads(() => {
          const output = model.apply(x, { training: true }) as tf.Tensor;
          const losses = batchLosses(output, y, 'categorical_crossentropy', 'softmax');
          correctInBatch = tf.keep(losses.correct!.sum() as tf.Scalar);
          return losses.perSample.mean() as tf.Scalar;
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
    evaluate: (split) => evaluateSplit(model, split, inputShape, options.evaluationBatchSize),
    parameters: () => flatParameters(model),
    dispose: () => optimizer.dispose(),
  };
}

/**
 * Train a softmax classifier in place on tfjs with categorical cross-entropy on integer labels
 * (the epoch loop of loop.ts). Deterministic for a given model init, data, options and backend.
 * Returns the per-epoch metrics.
 */
export async function trainModel(model: tf.LayersModel, data: TrainingData, options: TrainOptions): Promise<EpochMetrics[]> {
  const stepper = tfjsStepper(model, data.inputShape, options);
  try {
    return await runEpochs(stepper, data, { ...options, learningRate: options.optimizer.learningRate });
  } finally {
    stepper.dispose();
  }
}
