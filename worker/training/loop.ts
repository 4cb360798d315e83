import type { DatasetSplitArrays } from '../../contract/dataset-codec.ts';
import type { EpochMetrics, LearningRateSchedule } from '../../contract/training.ts';
import { uniformStream } from '../numeric/rng.ts';
import { learningRateAt, warmupFactor } from './schedule.ts';

export interface TrainingData {
  train: DatasetSplitArrays;
  test: DatasetSplitArrays;
  /** One sample's shape, without the batch axis. */
  inputShape: number[];
}

/** One batch, gathered in shuffled order: x row-major [n, ...inputShape], integer labels. */
export interface Batch {
  x: Float32Array;
  /** Row-major [n, labels]: one class per sample, or h·w pixel classes per sample (segmentation). */
  y: Int32Array;
  n: number;
}

/**
 * One training engine's way to take optimizer steps (tfjs or onnxruntime; TRAINING_ENGINES in run.ts).
 * The epoch loop (schedule, shuffles, checkpoints, cancellation, divergence) is the same for all.
 */
export interface TrainingStepper {
  /** One step on the mean batch loss (BN batch statistics, moving statistics updated, + wd·θ); the batch's mean loss and its correct predictions (segmentation: the sum of per-sample IoUs; null when the engine does not report them). */
  step(batch: Batch, learningRate: number): Promise<{ loss: number; correct: number | null }>;
  /** Mean loss and accuracy over a whole split, BN in inference mode. */
  evaluate(split: DatasetSplitArrays): Promise<{ loss: number; accuracy: number }>;
  /** θ flat in parameter-model order (the order of the saved weights.bin), BN statistics included. */
  parameters(): Promise<Float32Array>;
}

export interface LoopOptions {
  epochs: number;
  /** The last batch of an epoch may be short. */
  batchSize: number;
  /** Base rate of the schedule. */
  learningRate: number;
  schedule: LearningRateSchedule;
  /** Epochs (may be fractional) over which each step's rate rises linearly to the scheduled one (warmupFactor); default 0. */
  warmupEpochs?: number;
  /** Seeds the per-epoch Fisher–Yates shuffles (one uniformStream across epochs). */
  shuffleSeed: number;
  /** Store θ every k epochs, and θ before training (epoch 0); 0 = never. */
  checkpointEvery: number;
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

/** A batch loss that is NaN or ±Infinity: training stops; the epochs before it stand, nothing after. */
export class TrainingDiverged extends Error {
  constructor(
    readonly epochsCompleted: number,
    readonly loss: number,
  ) {
    super(`training diverged: the batch loss became ${loss} in epoch ${epochsCompleted + 1} (${epochsCompleted} epoch${epochsCompleted === 1 ? '' : 's'} completed); lower the learning rate`);
    this.name = 'TrainingDiverged';
  }
}

export function shuffledOrder(n: number, random: () => number): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

/** Inputs and labels of the rows, in row order: split.y.length / split.n labels per sample (one class, or h·w pixel labels). */
export function gatherBatch(split: DatasetSplitArrays, rows: ArrayLike<number>, inputShape: number[]): Batch {
  const size = inputShape.reduce((a, b) => a * b, 1);
  const labels = split.y.length / split.n;
  const x = new Float32Array(rows.length * size);
  const y = new Int32Array(rows.length * labels);
  for (let k = 0; k < rows.length; k++) {
    const row = rows[k]!;
    x.set(split.x.subarray(row * size, (row + 1) * size), k * size);
    y.set(split.y.subarray(row * labels, (row + 1) * labels), k * labels);
  }
  return { x, y, n: rows.length };
}

/**
 * The epoch loop every training engine shares: per epoch the scheduled rate (during the warm-up a
 * rising fraction of it per step), a seeded Fisher–Yates order, one step per batch (cancellation
 * polled before each), the test split evaluated in
 * inference mode, then the epoch's metrics and (every k epochs) a checkpoint. Returns the metrics.
 */
export async function runEpochs(stepper: TrainingStepper, data: TrainingData, options: LoopOptions): Promise<EpochMetrics[]> {
  const random = uniformStream(options.shuffleSeed);
  const history: EpochMetrics[] = [];
  if (options.checkpointEvery > 0) await options.onCheckpoint?.(0, await stepper.parameters());
  const warmupSteps = Math.round((options.warmupEpochs ?? 0) * Math.ceil(data.train.n / options.batchSize));
  let step = 0;
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    const started = performance.now();
    const learningRate = learningRateAt(options.learningRate, options.schedule, epoch, options.epochs);
    const order = shuffledOrder(data.train.n, random);
    let lossSum = 0;
    let correct: number | null = 0;
    for (let start = 0; start < data.train.n; start += options.batchSize) {
      if (await options.isCancelled?.()) throw new TrainingCancelled();
      const rows = order.subarray(start, Math.min(start + options.batchSize, data.train.n));
      const result = await stepper.step(gatherBatch(data.train, rows, data.inputShape), learningRate * warmupFactor(step++, warmupSteps));
      if (!Number.isFinite(result.loss)) throw new TrainingDiverged(epoch, result.loss);
      lossSum += result.loss * rows.length;
      correct = correct === null || result.correct === null ? null : correct + result.correct;
    }
    const test = await stepper.evaluate(data.test);
    const metrics: EpochMetrics = {
      epoch: epoch + 1,
      learningRate,
      loss: lossSum / data.train.n,
      accuracy: correct === null ? null : correct / data.train.n,
      testLoss: test.loss,
      testAccuracy: test.accuracy,
      seconds: (performance.now() - started) / 1000,
    };
    history.push(metrics);
    await options.onEpoch?.(metrics);
    if (options.checkpointEvery > 0 && ((epoch + 1) % options.checkpointEvery === 0 || epoch + 1 === options.epochs)) {
      await options.onCheckpoint?.(epoch + 1, await stepper.parameters());
    }
  }
  return history;
}
