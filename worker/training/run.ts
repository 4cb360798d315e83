import * as ort from 'onnxruntime-node';
import * as tf from '../engine/tfjs/tf.ts';
import { ContractError } from '../../contract/errors.ts';
import { checkArchitectureTask } from '../../contract/architectures.ts';
import type { DatasetArrays, DatasetSplitArrays } from '../../contract/dataset-codec.ts';
import type { EpochMetrics, ResolvedTrainingRequest, TrainingEngine, TrainingOutcome } from '../../contract/training.ts';
import { evaluationData } from '../datasets/select.ts';
import { modelFormat } from '../../contract/formats/index.ts';
import { storedParameters } from '../artifacts.ts';
import { sameValues } from '../numeric/vector.ts';
import type { ModelArtifact } from '../engine/evaluator.ts';
import { layersModelArtifact } from '../engine/tfjs/artifact.ts';
import { loadLayersModel } from '../engine/tfjs/load-model.ts';
import { saveLayersModel } from '../engine/tfjs/save-model.ts';
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
export type TrainingRun = Omit<TrainingOutcome, 'files' | 'checkpoints'> & { files: Record<string, Uint8Array> };

interface EngineSession {
  stepper: TrainingStepper;
  /** What the provenance records: the engine, its version and threads. */
  backend: string;
  dispose(): void | Promise<void>;
}

/**
 * What a run trains, as each engine takes it: a new network built from the request's architecture
 * and seed, or a stored model (request.model) from its stored weights.
 */
interface TrainingStart {
  artifact: ModelArtifact;
  /** The tfjs Layers model (the tfjs engine): the built network itself, or one loaded from the stored files and disposed with the session. */
  layers(): Promise<{ model: tf.LayersModel; owned: boolean }>;
}

/** What a stepper trains on: one sample's shape and the dataset's objective (trainingObjective). */
interface EngineTask {
  inputShape: number[];
  objective: Objective;
}

type EngineFactory = (start: TrainingStart, request: ResolvedTrainingRequest, task: EngineTask, threads?: number) => Promise<EngineSession>;

/** Training engines by TrainingRequest.engine (one interface, loop.ts's TrainingStepper). */
export const TRAINING_ENGINES: Record<TrainingEngine, EngineFactory> = {
  async onnxruntime({ artifact }, request, { inputShape, objective }, threads = 1) {
    const stepper = await createOnnxStepper(artifact, inputShape, {
      objective, optimizer: request.optimizer, weightDecay: request.weightDecay, batchSize: request.batchSize, threads,
    });
    const backend = `onnxruntime-node ${ort.env.versions.common} autodiff (${threads} intra-op thread${threads === 1 ? '' : 's'})`;
    return { stepper, backend, dispose: () => stepper.dispose() };
  },
  async tfjs(start, request, { inputShape, objective }) {
    const { model, owned } = await start.layers();
    try {
      const stepper = await tfjsStepper(model, inputShape, { optimizer: request.optimizer, weightDecay: request.weightDecay, objective });
      return {
        stepper,
        backend: `tfjs ${tf.version.tfjs} ${tf.getBackend()}`,
        dispose: () => {
          stepper.dispose();
          if (owned) model.dispose();
        },
      };
    } catch (err) {
      if (owned) model.dispose();
      throw err;
    }
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
 * Train the request's network on the dataset's train split with the request's engine (the
 * request's seed also drives the shuffling), measure it and serialize it in its format's files
 * with the trained θ. The network is the architecture built from the request's seed, or with
 * request.model the stored model `base` from its stored weights (its format and graph kept:
 * model.onnx for ONNX uploads). The caller has initialized tfjs (initTfjs). The one path both
 * training jobs and the demo scripts take.
 */
export async function runTraining(request: ResolvedTrainingRequest, dataset: DatasetArrays, hooks: TrainingHooks = {}, base: ModelArtifact | null = null): Promise<TrainingRun> {
  if (dataset.task === 'regression' || dataset.classes === null) {
    throw new ContractError('dataset.id', `${request.dataset.id} is a ${dataset.task} set; training fits classifiers and segmenters`);
  }
  if (!request.architecture !== !!base) throw new Error('a training starts from an architecture or from a stored model, not both');
  const started = performance.now();
  let built: tf.LayersModel | null = null;
  let session: EngineSession | null = null;
  try {
    let start: TrainingStart;
    if (request.architecture) {
      checkArchitectureTask(request.architecture, { id: request.dataset.id, task: dataset.task });
      // The resolved request always states a width; width 1 is the default every family accepts (DenseNet has none). U-Net options stay.
      const { width, ...spec } = request.architecture;
      const model = buildArchitecture(width === 1 ? spec : { ...spec, width }, { inputShape: dataset.inputShape, classes: dataset.classes, seed: request.seed });
      built = model;
      start = { artifact: layersModelArtifact(await saveLayersModel(model), 'training'), layers: async () => ({ model, owned: false }) };
    } else {
      start = { artifact: base!, layers: async () => ({ model: await loadLayersModel(base!), owned: true }) };
    }
    const { artifact } = start;
    const objective = trainingObjective(dataset);
    session = await TRAINING_ENGINES[request.engine](start, request, { inputShape: dataset.inputShape, objective }, hooks.threads);
    // The trained θ is written back by position in the parameter model: the engine must start from exactly θ* in that order.
    const stored = storedParameters(artifact);
    if (!sameValues(await session.stepper.parameters(), stored)) {
      throw new ContractError('model', `the ${request.engine} engine does not read this model's weights in its stored order; train it on the other engine`);
    }
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
    const theta = await session.stepper.parameters();
    return {
      files: modelFormat(artifact.format).withParameters(artifact.files, artifact.parameters, theta),
      history,
      parameterCount: theta.length,
      backend: session.backend,
      finalTrain,
      finalTest,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await session?.dispose();
    built?.dispose();
  }
}
