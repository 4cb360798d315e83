import * as ort from 'onnxruntime-node';
import * as tf from '../engine/tfjs/tf.ts';
import { ContractError } from '../../contract/errors.ts';
import { checkArchitectureTask } from '../../contract/architectures.ts';
import type { DatasetArrays, DatasetSplitArrays } from '../../contract/dataset-codec.ts';
import type { EpochMetrics, ResolvedTrainingRequest, TrainingEngine, TrainingOutcome } from '../../contract/training.ts';
import { evaluationData } from '../datasets/select.ts';
import { layersModelArtifact } from '../engine/tfjs/artifact.ts';
import { saveLayersModel, WEIGHTS_FILE, type LayersModelFiles } from '../engine/tfjs/save-model.ts';
import { buildArchitecture } from '../zoo/index.ts';
import { runEpochs, type LoopOptions, type TrainingData, type TrainingStepper } from './loop.ts';
import { createOnnxStepper } from './onnx-stepper.ts';
import { tfjsStepper, trainingObjective, type Objective } from './train.ts';

export interface TrainingHooks {
  /** Measure the final loss/accuracy on the whole train split (a forward pass over it). Default true; false reports the last epoch's training-mode figures. */
  measureTrainSplit?: boolean;
  onEpoch?: (metrics: EpochMetrics) => void | Promise<void>;
  onCheckpoint?: (epoch: number, parameters: Float32Array) => void | Promise<void>;
  isCancelled?: () => boolean | Promise<boolean>;
  /** Intra-op threads of the onnxruntime engine. Default 1 (the training job passes LA_ONNX_THREADS). */
  threads?: number;
}

/** A finished run: the outcome the job publishes, with the model's files as bytes (not yet blobs). */
export type TrainingRun = Omit<TrainingOutcome, 'files' | 'checkpoints'> & { files: LayersModelFiles };

interface EngineSession {
  stepper: TrainingStepper;
  /** What the provenance records: the engine, its version and threads. */
  backend: string;
  dispose(): void | Promise<void>;
}

/** What a stepper trains on: one sample's shape and the dataset's objective (trainingObjective). */
interface EngineTask {
  inputShape: number[];
  objective: Objective;
}

type EngineFactory = (model: tf.LayersModel, request: ResolvedTrainingRequest, task: EngineTask, threads?: number) => Promise<EngineSession>;

/** Training engines by TrainingRequest.engine (one interface, loop.ts's TrainingStepper). */
export const TRAINING_ENGINES: Record<TrainingEngine, EngineFactory> = {
  async onnxruntime(model, request, { inputShape, objective }, threads = 1) {
    const artifact = layersModelArtifact(await saveLayersModel(model), 'training');
    const stepper = await createOnnxStepper(artifact, inputShape, {
      objective, optimizer: request.optimizer, weightDecay: request.weightDecay, batchSize: request.batchSize, threads,
    });
    const backend = `onnxruntime-node ${ort.env.versions.common} autodiff (${threads} intra-op thread${threads === 1 ? '' : 's'})`;
    return { stepper, backend, dispose: () => stepper.dispose() };
  },
  async tfjs(model, request, { inputShape, objective }) {
    const stepper = await tfjsStepper(model, inputShape, { optimizer: request.optimizer, weightDecay: request.weightDecay, objective });
    return { stepper, backend: `tfjs ${tf.version.tfjs} ${tf.getBackend()}`, dispose: () => stepper.dispose() };
  },
};

/** The samples a request trains on: the whole train split, or its seeded subset (selected as surfaces select theirs). */
function trainSplit(dataset: DatasetArrays, { samples, sampleSeed = 0 }: ResolvedTrainingRequest['dataset']): DatasetSplitArrays {
  if (samples == null) return dataset.train;
  if (samples > dataset.train.n) throw new ContractError('dataset.samples', `the train split has ${dataset.train.n} samples; ${samples} requested`);
  const { x, y, n } = evaluationData(dataset, 'train', samples, sampleSeed).data;
  return { x, y, n };
}

/**
 * Build the architecture from the request's seed, train it on the dataset's train split with the
 * request's engine (the request's seed also drives the shuffling), measure it and serialize it:
 * model.json of the built model, weights.bin = the trained θ (parameter-model order). The caller
 * has initialized tfjs (initTfjs). The one path both training jobs and the demo scripts take.
 */
export async function runTraining(request: ResolvedTrainingRequest, dataset: DatasetArrays, hooks: TrainingHooks = {}): Promise<TrainingRun> {
  if (dataset.task === 'regression' || dataset.classes === null) {
    throw new ContractError('dataset.id', `${request.dataset.id} is a ${dataset.task} set; zoo models are classifiers and segmenters`);
  }
  checkArchitectureTask(request.architecture, { id: request.dataset.id, task: dataset.task });
  const started = performance.now();
  // The resolved request always states a width; width 1 is the default every family accepts (DenseNet has none). U-Net options stay.
  const { width, ...spec } = request.architecture;
  const model = buildArchitecture(width === 1 ? spec : { ...spec, width }, { inputShape: dataset.inputShape, classes: dataset.classes, seed: request.seed });
  let session: EngineSession | null = null;
  try {
    const objective = trainingObjective(dataset);
    session = await TRAINING_ENGINES[request.engine](model, request, { inputShape: dataset.inputShape, objective }, hooks.threads);
    const data: TrainingData = { train: trainSplit(dataset, request.dataset), test: dataset.test, inputShape: dataset.inputShape };
    const { measureTrainSplit = true, threads: _threads, ...callbacks } = hooks;
    const loop: LoopOptions = {
      epochs: request.epochs,
      batchSize: request.batchSize,
      learningRate: request.optimizer.learningRate,
      schedule: request.schedule,
      warmupEpochs: request.warmupEpochs,
      shuffleSeed: request.seed,
      checkpointEvery: request.checkpointEvery,
      ...callbacks,
    };
    const history = await runEpochs(session.stepper, data, loop);
    const last = history[history.length - 1]!;
    const finalTest = await session.stepper.evaluate(dataset.test);
    const finalTrain = measureTrainSplit || last.accuracy === null ? await session.stepper.evaluate(data.train) : { loss: last.loss, accuracy: last.accuracy };
    const files = await saveLayersModel(model);
    const theta = await session.stepper.parameters();
    files[WEIGHTS_FILE] = new Uint8Array(Float32Array.from(theta).buffer);
    return {
      files,
      history,
      parameterCount: model.countParams(),
      backend: session.backend,
      finalTrain,
      finalTest,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await session?.dispose();
    model.dispose();
  }
}
