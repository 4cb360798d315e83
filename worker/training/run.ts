import * as tf from '../engine/tfjs/tf.ts';
import { ContractError } from '../../contract/errors.ts';
import { checkArchitectureTask } from '../../contract/architectures.ts';
import type { DatasetArrays } from '../../contract/dataset-codec.ts';
import type { EpochMetrics, ResolvedTrainingRequest, TrainingOutcome } from '../../contract/training.ts';
import { saveLayersModel, type LayersModelFiles } from '../engine/tfjs/save-model.ts';
import { buildArchitecture } from '../zoo/index.ts';
import { evaluateSplit, trainingObjective, trainModel } from './train.ts';

export interface TrainingHooks {
  /** Measure the final loss/accuracy on the whole train split (a forward pass over it). Default true; false reports the last epoch's training-mode figures. */
  measureTrainSplit?: boolean;
  onEpoch?: (metrics: EpochMetrics) => void | Promise<void>;
  onCheckpoint?: (epoch: number, parameters: Float32Array) => void | Promise<void>;
  isCancelled?: () => boolean | Promise<boolean>;
}

/** A finished run: the outcome the job publishes, with the model's files as bytes (not yet blobs). */
export type TrainingRun = Omit<TrainingOutcome, 'files' | 'checkpoints'> & { files: LayersModelFiles };

/**
 * Build the architecture from the request's seed, train it on the dataset's train split (the
 * request's seed also drives the shuffling), measure it and serialize it. The caller has
 * initialized tfjs (initTfjs). The one path both training jobs and the demo script take.
 */
export async function runTraining(request: ResolvedTrainingRequest, dataset: DatasetArrays, hooks: TrainingHooks = {}): Promise<TrainingRun> {
  if (dataset.task === 'regression' || dataset.classes === null) {
    throw new ContractError('dataset.id', `${request.dataset.id} is a ${dataset.task} set; zoo models are classifiers and segmenters`);
  }
  checkArchitectureTask(request.architecture, { id: request.dataset.id, task: dataset.task });
  const started = performance.now();
  const model = buildArchitecture(request.architecture, { inputShape: dataset.inputShape, classes: dataset.classes, seed: request.seed });
  try {
    const objective = trainingObjective(dataset);
    const data = { train: dataset.train, test: dataset.test, inputShape: dataset.inputShape, objective };
    const { measureTrainSplit = true, ...callbacks } = hooks;
    const history = await trainModel(model, data, {
      epochs: request.epochs,
      batchSize: request.batchSize,
      optimizer: request.optimizer,
      schedule: request.schedule,
      weightDecay: request.weightDecay,
      shuffleSeed: request.seed,
      checkpointEvery: request.checkpointEvery,
      ...callbacks,
    });
    const last = history[history.length - 1]!;
    const finalTrain = measureTrainSplit ? await evaluateSplit(model, dataset.train, dataset.inputShape, undefined, objective) : { loss: last.loss, accuracy: last.accuracy };
    const finalTest = await evaluateSplit(model, dataset.test, dataset.inputShape, undefined, objective);
    return {
      files: await saveLayersModel(model),
      history,
      parameterCount: model.countParams(),
      backend: `tfjs ${tf.version.tfjs} ${tf.getBackend()}`,
      finalTrain,
      finalTest,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    model.dispose();
  }
}
