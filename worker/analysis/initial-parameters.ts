import { ContractError } from '../../contract/errors.ts';
import type { ArchitectureSpec } from '../../contract/architectures.ts';
import type { ParameterInfo } from '../../contract/parameters.ts';
import { flatParameters } from '../training/train.ts';
import { buildArchitecture } from '../zoo/index.ts';

/**
 * The weights a zoo model started training from: the architecture rebuilt with the recipe's seed
 * (runTraining builds it the same way), flat in parameter-model order. Refused when the rebuilt
 * net's parameters differ by name or shape from `parameters`, i.e. the recipe is not this model's.
 */
export async function initialisationParameters(
  architecture: ArchitectureSpec,
  seed: number,
  shape: { inputShape: number[]; classes: number },
  parameters: ParameterInfo[],
): Promise<Float32Array> {
  const model = buildArchitecture(architecture, { inputShape: shape.inputShape, classes: shape.classes, seed });
  try {
    const rebuilt = model.weights.map((w) => ({ name: w.originalName, shape: w.shape }));
    const mismatch = parameters.findIndex((p, i) => rebuilt[i]?.name !== p.name || rebuilt[i]!.shape.join() !== p.shape.join());
    if (mismatch >= 0 || rebuilt.length !== parameters.length) {
      const p = parameters[mismatch] ?? parameters[parameters.length - 1];
      throw new ContractError('recipe.architecture', `${architecture.id} does not rebuild this model (parameter ${p?.name ?? '?'} differs)`);
    }
    return await flatParameters(model);
  } finally {
    model.dispose();
  }
}
