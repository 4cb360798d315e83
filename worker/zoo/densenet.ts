import * as tf from '../engine/tfjs/tf.ts';
import { ContractError } from '../../contract/errors.ts';
import type { DensenetShape } from '../../contract/architectures.ts';
import { applyTo, batchNorm, glorotUniform, heNormal } from './seeded.ts';

export interface DensenetOptions extends Omit<DensenetShape, 'family'> {
  inputShape: [number, number, number];
  classes: number;
  /** Seed of every initializer (see layerSeed). Default 0. */
  seed?: number;
}

/**
 * DenseNet-BC style net with concatenation skips: conv3×3(2·growth) stem; `blocks` dense blocks in
 * which each layer BN → ReLU → conv3×3(growth) sees the concatenation of the block input and all
 * earlier layer outputs; between blocks a transition BN → ReLU → conv1×1(⌊c·compression⌋) → 2×2
 * avg-pool; then BN → ReLU → global average pool → dense softmax. dense false removes every
 * concatenation (each layer sees only its predecessor's output; the transitions keep their widths):
 * the plain chain of equal depth.
 * Layer names: stem_conv, block{b}_layer{l}_{bn,relu,conv,concat}, transition{b}_{bn,relu,conv,pool},
 * final_bn, final_relu, pool, classifier.
 */
export function densenet(options: DensenetOptions): tf.LayersModel {
  const { growth, layersPerBlock, blocks, compression, dense, inputShape, classes, seed = 0 } = options;
  if (!(compression > 0 && compression <= 1)) throw new ContractError('architecture.compression', `must be in (0, 1], got ${compression}`);
  const conv = (name: string, filters: number, kernelSize: number) =>
    tf.layers.conv2d({ name, filters, kernelSize, padding: 'same', useBias: false, kernelInitializer: heNormal(seed, name) });

  const input = tf.input({ shape: inputShape, name: 'input' });
  let h = applyTo(conv('stem_conv', 2 * growth, 3), input);
  let channels = 2 * growth;
  for (let block = 1; block <= blocks; block++) {
    for (let layer = 1; layer <= layersPerBlock; layer++) {
      const prefix = `block${block}_layer${layer}`;
      let f = applyTo(batchNorm(`${prefix}_bn`), h);
      f = applyTo(tf.layers.reLU({ name: `${prefix}_relu` }), f);
      f = applyTo(conv(`${prefix}_conv`, growth, 3), f);
      h = dense ? applyTo(tf.layers.concatenate({ name: `${prefix}_concat`, axis: -1 }), [h, f]) : f;
      channels += growth;
    }
    if (block < blocks) {
      const prefix = `transition${block}`;
      channels = Math.floor(channels * compression);
      h = applyTo(batchNorm(`${prefix}_bn`), h);
      h = applyTo(tf.layers.reLU({ name: `${prefix}_relu` }), h);
      h = applyTo(conv(`${prefix}_conv`, channels, 1), h);
      h = applyTo(tf.layers.averagePooling2d({ name: `${prefix}_pool`, poolSize: 2, padding: 'same' }), h);
    }
  }
  h = applyTo(batchNorm('final_bn'), h);
  h = applyTo(tf.layers.reLU({ name: 'final_relu' }), h);
  h = applyTo(tf.layers.globalAveragePooling2d({ name: 'pool' }), h);
  const output = applyTo(
    tf.layers.dense({ name: 'classifier', units: classes, activation: 'softmax', kernelInitializer: glorotUniform(seed, 'classifier') }),
    h,
  );
  return tf.model({ inputs: input, outputs: output, name: 'densenet' });
}
