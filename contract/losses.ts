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
      'Cross-entropies take integer class labels (categorical and sparse differ only in the label format the model was trained on); ' +
      'outputs that are not already softmax/sigmoid probabilities are treated as logits. mse compares outputs with float targets. ' +
      'L = (1/N) Σ per-sample loss over all N evaluation samples.',
  },
);
export type LossName = Static<typeof LossName>;

/** Whether accuracy is defined for the loss (classification) or not (regression). */
export function lossHasAccuracy(loss: LossName): boolean {
  return loss !== 'mse';
}
