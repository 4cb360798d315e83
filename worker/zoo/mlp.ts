import * as tf from '../engine/tfjs/tf.ts';
import { scaledChannels } from '../../contract/architectures.ts';
import { applyTo, glorotUniform, heNormal } from './seeded.ts';

export interface MlpOptions {
  inputShape: number[];
  classes: number;
  /** Hidden units before the width multiplier. */
  units: number;
  /** Two-layer blocks after the input layer. */
  blocks: number;
  /** true adds the block input to each block's output (y = ReLU(F(x) + x)); false removes only the additions. */
  residual: boolean;
  /** Multiplier of `units`. Default 1. */
  width?: number;
  /** Seed of every initializer (see layerSeed). Default 0. */
  seed?: number;
}

/**
 * MLP for the 2D sets: dense(units, ReLU), then `blocks` blocks dense(ReLU) → dense (+ block input
 * when residual) → ReLU, then dense softmax. The residual and plain variants share every layer.
 * Layer names: input_dense, block{b}_{dense1,dense2,add,relu}, classifier.
 */
export function mlp(options: MlpOptions): tf.LayersModel {
  const { inputShape, classes, blocks, residual, width = 1, seed = 0 } = options;
  const units = scaledChannels(options.units, width);
  const dense = (name: string, activation: 'relu' | 'linear' | 'softmax', size = units) =>
    tf.layers.dense({
      name, units: size, activation,
      kernelInitializer: activation === 'softmax' ? glorotUniform(seed, name) : heNormal(seed, name),
    });
  const input = tf.input({ shape: inputShape, name: 'input' });
  let h = inputShape.length > 1 ? applyTo(tf.layers.flatten({ name: 'flatten' }), input) : input;
  h = applyTo(dense('input_dense', 'relu'), h);
  for (let block = 1; block <= blocks; block++) {
    let f = applyTo(dense(`block${block}_dense1`, 'relu'), h);
    f = applyTo(dense(`block${block}_dense2`, 'linear'), f);
    if (residual) f = applyTo(tf.layers.add({ name: `block${block}_add` }), [f, h]);
    h = applyTo(tf.layers.reLU({ name: `block${block}_relu` }), f);
  }
  const output = applyTo(dense('classifier', 'softmax', classes), h);
  return tf.model({ inputs: input, outputs: output, name: residual ? 'mlp_res' : 'mlp' });
}
