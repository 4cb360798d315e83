import * as tf from '../engine/tfjs/tf.ts';
import { ContractError } from '../../contract/errors.ts';
import { resnetBlocksPerStage, resnetStageChannels } from '../../contract/architectures.ts';
import { applyTo, batchNorm, glorotUniform, heNormal } from './seeded.ts';

export interface ResnetOptions {
  /** Weighted layers: 6n + 2 (8, 20, 32, 44, 56, 110, ...). */
  depth: number;
  /** true = residual shortcuts (identity, or 1×1 projection + BN where the shape changes); false = removed. */
  skip: boolean;
  /** One sample [height, width, channels], e.g. [28, 28, 1] (MNIST) or [32, 32, 3] (CIFAR). */
  inputShape: [number, number, number];
  classes: number;
  /** Channel multiplier of the 16/32/64 stages. Default 1. */
  width?: number;
  /** Seed of every initializer (see layerSeed). Default 0. */
  seed?: number;
}

/**
 * He et al.'s CIFAR ResNet as in Li et al.'s code: conv3×3(16) → BN → ReLU, three stages of n
 * basic blocks with 16/32/64 channels (× width), stride 2 at the first block of stages 2 and 3,
 * global average pool, dense softmax. Block: conv3×3 → BN → ReLU → conv3×3 → BN (+ shortcut) → ReLU;
 * convolutions have no bias (BN follows). Where the shape changes the shortcut is a 1×1 stride-2
 * conv + BN (option B). skip=false removes the additions and the projection layers, nothing else:
 * every remaining layer has the same name, shape and initial weights.
 *
 * Layer names: stem_conv, stem_bn, stem_relu, stage{s}_block{b}_{conv1,bn1,relu1,conv2,bn2,
 * shortcut_conv,shortcut_bn,add,relu2}, pool, classifier (stages and blocks count from 1).
 */
export function resnet(options: ResnetOptions): tf.LayersModel {
  const { depth, skip, inputShape, classes, width = 1, seed = 0 } = options;
  const blocks = resnetBlocksPerStage(depth);
  if (!(width > 0)) throw new ContractError('architecture.width', `must be positive, got ${width}`);
  if (!Number.isInteger(classes) || classes < 2) throw new ContractError('classes', `must be an integer ≥ 2, got ${classes}`);
  const channels = resnetStageChannels(width);
  const conv = (name: string, filters: number, kernelSize: number, strides: number) =>
    tf.layers.conv2d({ name, filters, kernelSize, strides, padding: 'same', useBias: false, kernelInitializer: heNormal(seed, name) });

  const input = tf.input({ shape: inputShape, name: 'input' });
  let h = applyTo(conv('stem_conv', channels[0]!, 3, 1), input);
  h = applyTo(batchNorm('stem_bn'), h);
  h = applyTo(tf.layers.reLU({ name: 'stem_relu' }), h);
  let inChannels = channels[0]!;
  channels.forEach((outChannels, stageIndex) => {
    for (let block = 0; block < blocks; block++) {
      const prefix = `stage${stageIndex + 1}_block${block + 1}`;
      const strides = stageIndex > 0 && block === 0 ? 2 : 1;
      let f = applyTo(conv(`${prefix}_conv1`, outChannels, 3, strides), h);
      f = applyTo(batchNorm(`${prefix}_bn1`), f);
      f = applyTo(tf.layers.reLU({ name: `${prefix}_relu1` }), f);
      f = applyTo(conv(`${prefix}_conv2`, outChannels, 3, 1), f);
      f = applyTo(batchNorm(`${prefix}_bn2`), f);
      if (skip) {
        let shortcut = h;
        if (strides !== 1 || inChannels !== outChannels) {
          shortcut = applyTo(conv(`${prefix}_shortcut_conv`, outChannels, 1, strides), h);
          shortcut = applyTo(batchNorm(`${prefix}_shortcut_bn`), shortcut);
        }
        f = applyTo(tf.layers.add({ name: `${prefix}_add` }), [f, shortcut]);
      }
      h = applyTo(tf.layers.reLU({ name: `${prefix}_relu2` }), f);
      inChannels = outChannels;
    }
  });
  h = applyTo(tf.layers.globalAveragePooling2d({ name: 'pool' }), h);
  const output = applyTo(
    tf.layers.dense({ name: 'classifier', units: classes, activation: 'softmax', kernelInitializer: glorotUniform(seed, 'classifier') }),
    h,
  );
  return tf.model({ inputs: input, outputs: output, name: skip ? `resnet${depth}` : `resnet${depth}_noshort` });
}
