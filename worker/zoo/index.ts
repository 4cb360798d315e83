import type * as tf from '../engine/tfjs/tf.ts';
import { ContractError } from '../../contract/errors.ts';
import { architectureShape, checkArchitectureInput, type ArchitectureSpec } from '../../contract/architectures.ts';
import { densenet } from './densenet.ts';
import { mlp } from './mlp.ts';
import { plainCnn } from './plain.ts';
import { resnet } from './resnet.ts';
import { unet } from './unet.ts';

export { resnet } from './resnet.ts';
export { densenet } from './densenet.ts';
export { plainCnn } from './plain.ts';
export { mlp } from './mlp.ts';
export { unet } from './unet.ts';

export interface BuildOptions {
  /** One sample's shape, without the batch axis. */
  inputShape: number[];
  classes: number;
  /** Initializer seed (see layerSeed). Default 0. */
  seed?: number;
}

/**
 * A fresh model for a catalog architecture (contract/architectures.ts ARCHITECTURES), e.g.
 * buildArchitecture({ id: 'resnet20-noshort' }, { inputShape: [28, 28, 1], classes: 10, seed: 1 }) or
 * buildArchitecture({ id: 'unet', skips: 'none' }, { inputShape: [28, 28, 1], classes: 2 }).
 * ContractError naming the field when the id is unknown or the input does not fit.
 */
export function buildArchitecture(spec: ArchitectureSpec, options: BuildOptions): tf.LayersModel {
  checkArchitectureInput(spec, options.inputShape);
  const shape = architectureShape(spec);
  const { classes, seed = 0 } = options;
  if (!Number.isInteger(classes) || classes < 2) throw new ContractError('classes', `must be an integer ≥ 2, got ${classes}`);
  const image = options.inputShape as [number, number, number];
  switch (shape.family) {
    case 'resnet':
      return resnet({ depth: shape.depth, skip: shape.skip, inputShape: image, classes, width: spec.width, seed });
    case 'densenet':
      return densenet({ ...shape, inputShape: image, classes, seed });
    case 'plain-cnn':
      return plainCnn({ inputShape: image, classes, width: spec.width, seed });
    case 'mlp':
      return mlp({ inputShape: options.inputShape, classes, units: shape.units, blocks: shape.blocks, residual: shape.residual, width: spec.width, seed });
    case 'unet':
      return unet({ depth: shape.depth, skips: shape.skips, inputShape: image, classes, width: spec.width, seed });
  }
}
