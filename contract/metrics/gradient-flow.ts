import { Type, type Static } from 'typebox';
import type { ArchitectureSpec } from '../architectures.ts';
import type { DatasetRef } from '../datasets.ts';
import type { LossName } from '../losses.ts';
import type { ModelRef } from '../models.ts';

/**
 * Gradient flow: per-layer gradient norms ‖∂L/∂W_l‖₂ of every kernel (weight matrix or conv
 * filter bank; biases and BN parameters left out), ordered input → output, at given parameters
 * (e.g. at initialisation and after training). Without skips they shrink toward the input layers
 * (vanishing gradients); with residual skips ∂L/∂x = ∂L/∂y·(∂F/∂x + 1) keeps them up.
 */
export const GradientFlowLayer = Type.Object({
  index: Type.Integer({ description: 'Depth index among the kernels: 0 = nearest the input' }),
  layer: Type.String(),
  parameter: Type.String({ description: 'Weight name, e.g. conv2d_3/kernel' }),
  layerClass: Type.String(),
  size: Type.Integer(),
  norm: Type.Number({ description: '‖∂L/∂W_l‖₂ (L = mean loss over the samples; batch normalization with each batch\'s statistics, as in training)' }),
  rms: Type.Number({ description: 'norm / √size: comparable across layers of different size' }),
});
export type GradientFlowLayer = Static<typeof GradientFlowLayer>;

export const GradientFlow = Type.Object({
  label: Type.String({ description: 'What the parameters are, e.g. "initialisation" or "trained"' }),
  loss: Type.Number({ description: 'L at these parameters' }),
  samples: Type.Integer(),
  batchSize: Type.Integer({ description: 'Samples per batch: batch normalization statistics are taken over each batch' }),
  layers: Type.Array(GradientFlowLayer),
  firstToLast: Type.Union([Type.Number(), Type.Null()], {
    description: 'rms of the first kernel / rms of the last: ≪ 1 means gradients vanish toward the input; null when the last is 0',
  }),
});
export type GradientFlow = Static<typeof GradientFlow>;

/** A gradient-flow job on the analysis queue (job name 'gradient-flow'). */
export interface GradientFlowJobData {
  model: ModelRef;
  dataset: DatasetRef;
  loss: LossName;
  batchSize: number;
  label: string;
  parameters: GradientFlowParameters;
}

/**
 * Where the parameters come from: the model's stored weights, or its initial weights, rebuilt by
 * the zoo from the architecture and seed of its training recipe (training draws them the same way).
 */
export type GradientFlowParameters =
  | { source: 'stored' }
  | { source: 'initialisation'; architecture: ArchitectureSpec; seed: number };
