import * as tf from '../engine/tfjs/tf.ts';
import { PLAIN_CNN_CHANNELS, scaledChannels } from '../../contract/architectures.ts';
import { applyTo, batchNorm, glorotUniform, heNormal } from './seeded.ts';

export interface PlainCnnOptions {
  inputShape: [number, number, number];
  classes: number;
  /** Channel multiplier of the 16/32/64 layers. Default 1. */
  width?: number;
  /** Seed of every initializer (see layerSeed). Default 0. */
  seed?: number;
}

/**
 * The skip-free baseline: conv3×3 → BN → ReLU with 16/32/64 channels (× width), 2×2 max-pool after
 * the first two, global average pool, dense softmax.
 * Layer names: conv{i}, bn{i}, relu{i}, maxpool{i} (i from 1), pool, classifier.
 */
export function plainCnn(options: PlainCnnOptions): tf.LayersModel {
  const { inputShape, classes, width = 1, seed = 0 } = options;
  const input = tf.input({ shape: inputShape, name: 'input' });
  let h = input;
  PLAIN_CNN_CHANNELS.forEach((base, index) => {
    const i = index + 1;
    h = applyTo(
      tf.layers.conv2d({ name: `conv${i}`, filters: scaledChannels(base, width), kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: heNormal(seed, `conv${i}`) }),
      h,
    );
    h = applyTo(batchNorm(`bn${i}`), h);
    h = applyTo(tf.layers.reLU({ name: `relu${i}` }), h);
    if (i < PLAIN_CNN_CHANNELS.length) h = applyTo(tf.layers.maxPooling2d({ name: `maxpool${i}`, poolSize: 2, padding: 'same' }), h);
  });
  h = applyTo(tf.layers.globalAveragePooling2d({ name: 'pool' }), h);
  const output = applyTo(
    tf.layers.dense({ name: 'classifier', units: classes, activation: 'softmax', kernelInitializer: glorotUniform(seed, 'classifier') }),
    h,
  );
  return tf.model({ inputs: input, outputs: output, name: 'plain_cnn' });
}
