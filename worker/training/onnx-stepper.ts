import type { DatasetSplitArrays } from '../../contract/dataset-codec.ts';
import type { ResolvedOptimizer } from '../../contract/training.ts';
import type { Objective } from './train.ts';
import type { Evaluator, ModelArtifact } from '../engine/evaluator.ts';
import { createEvaluator } from '../engine/registry.ts';
import { createGradientEngine } from '../autodiff/index.ts';
import type { TrainingStepper } from './loop.ts';
import { movingStatistics, updateMovingStatistics } from './moving-statistics.ts';
import { createOptimizer } from './optimizers/index.ts';

const f = Math.fround;

export interface OnnxStepperOptions {
  /** What is minimized and measured (train.ts trainingObjective): per sample, or per pixel for segmentation. */
  objective: Objective;
  optimizer: ResolvedOptimizer;
  /** Coupled L2: wd·θ added to the gradient of every trainable entry (PyTorch weight_decay), in float32 as tfjs adds it. */
  weightDecay: number;
  /** Rows of a training batch: one gradient run per step, so BN normalizes with that batch's statistics. */
  batchSize: number;
  /** Intra-op threads of the gradient graph's session. Default 1 (the training job passes LA_ONNX_THREADS). */
  threads?: number;
  /** Test-split rows per forward run. Default the evaluator's. */
  evaluationBatchSize?: number;
}

/**
 * The onnxruntime training path: θ is a Float32Array in parameter-model order. Each step: the
 * gradient engine's loss+gradient graph (worker/autodiff; BN in batch-statistics mode) gives the
 * mean batch loss, its gradient over every trainable entry and the batch's BN mean / biased
 * variance; wd·θ is added, the TypeScript optimizer updates the trainable entries and the moving
 * statistics take the tfjs running update. Evaluation runs the forward engine (onnx evaluator).
 */
export async function createOnnxStepper(artifact: ModelArtifact, inputShape: number[], options: OnnxStepperOptions): Promise<TrainingStepper & { dispose(): Promise<void> }> {
  const gradients = await createGradientEngine(artifact, {
    parameters: 'trainable',
    batchNorm: 'batch',
    loss: options.objective.loss,
    threads: options.threads ?? 1,
    batchSize: options.batchSize,
  });
  let evaluator: Evaluator | null = null;
  try {
    evaluator = await createEvaluator('onnx');
    await evaluator.load(artifact);
  } catch (err) {
    await gradients.dispose();
    evaluator?.dispose();
    throw err;
  }
  const forward = evaluator;
  const theta = gradients.initialParameters();
  const mask = gradients.mask;
  const optimizer = createOptimizer(options.optimizer, mask);
  const statistics = movingStatistics(artifact);
  const weightDecay = f(options.weightDecay);
  let evaluating: DatasetSplitArrays | null = null;

  return {
    async step(batch, learningRate) {
      if (batch.n > options.batchSize) throw new Error(`a batch of ${batch.n} rows exceeds the stepper's batch size ${options.batchSize}`);
      await gradients.setData({ x: batch.x, inputShape, y: batch.y, n: batch.n });
      const { loss, gradient, batchStatistics } = await gradients.lossAndGradient(theta);
      if (weightDecay > 0) for (let i = 0; i < theta.length; i++) if (mask[i]) gradient[i] = f(gradient[i]! + f(theta[i]! * weightDecay));
      optimizer.step(theta, gradient, learningRate);
      if (statistics.length > 0) updateMovingStatistics(theta, batchStatistics![0]!, statistics);
      return { loss, correct: null };
    },
    async evaluate(split) {
      if (evaluating !== split) {
        await forward.setData({ x: split.x, inputShape, y: split.y, n: split.n });
        evaluating = split;
      }
      await forward.setParameters(theta);
      const result = await forward.evaluate({ loss: options.objective.loss, ...(options.evaluationBatchSize ? { batchSize: options.evaluationBatchSize } : {}) });
      return { loss: result.loss, accuracy: result.accuracy! };
    },
    parameters: async () => theta.slice(),
    async dispose() {
      forward.dispose();
      await gradients.dispose();
    },
  };
}
