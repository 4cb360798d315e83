import { Type, type Static } from 'typebox';

/** Loss functions a surface can be evaluated with; formulas in the API docs (per-sample mean over N). */
export const LossName = Type.Union(
  [
    Type.Literal('categorical_crossentropy'),
    Type.Literal('sparse_categorical_crossentropy'),
    Type.Literal('binary_crossentropy'),
    Type.Literal('mse'),
  ],
  {
    description:
      'Cross-entropies take integer class labels (categorical and sparse differ only in the label format the model was trained on) ' +
      'and are computed from logits like PyTorch\'s CrossEntropyLoss: a final softmax (sigmoid) is stripped and log-softmax (log-sigmoid) ' +
      'of its input is used, so the loss keeps growing far from the minimum. mse compares outputs with float targets. ' +
      'L = (1/N) Σ per-sample loss over all N evaluation samples.',
  },
);
export type LossName = Static<typeof LossName>;

/**
 * How the engines compute cross-entropy, recorded with what they evaluate (EngineInfo.crossEntropy):
 * 'logits' = log-softmax / log-sigmoid of the pre-activation, a final softmax/sigmoid stripped.
 */
export const CrossEntropyForm = Type.Literal('logits', {
  description:
    'Cross-entropy from logits (log-softmax / log-sigmoid of the pre-activation; a final softmax/sigmoid is stripped). ' +
    'Absent in records made before it was recorded: those computed cross-entropy of softmax/sigmoid models from probabilities clipped to [1e-7, 1 − 1e-7].',
});
export type CrossEntropyForm = Static<typeof CrossEntropyForm>;
export const CROSS_ENTROPY_FORM: CrossEntropyForm = 'logits';

/** Whether accuracy is defined for the loss (classification) or not (regression). */
export function lossHasAccuracy(loss: LossName): boolean {
  return loss !== 'mse';
}
