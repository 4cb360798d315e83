import * as tf from '../engine/tfjs/tf.ts';
import { ContractError } from '../../contract/errors.ts';
import { pixelOutputChannels, unetLevelChannels, type UnetSkips } from '../../contract/architectures.ts';
import { applyTo, batchNorm, heNormal } from './seeded.ts';

export interface UnetOptions {
  /** Levels: 2×2 max-pools in the encoder (each undone by one transposed convolution in the decoder). */
  depth: number;
  /** How the encoder features of a level reach the decoder at the same resolution. */
  skips: UnetSkips;
  /** One sample [height, width, channels]; height and width divisible by 2^depth. */
  inputShape: [number, number, number];
  /** Pixel classes: 2 gives one logit per pixel (binary mask), more one logit per class. */
  classes: number;
  /** Multiplier of the 16·2^l channels of level l. Default 1. */
  width?: number;
  /** Seed of every initializer (see layerSeed). Default 0. */
  seed?: number;
}

/**
 * U-Net (Ronneberger et al. 2015) with BN, 'same' padding and logits out, for per-pixel prediction.
 *
 * Encoder level l (0 ≤ l < depth): block(c_l), whose output e_l is the level's long skip, then 2×2
 * max-pool. Bottleneck: block(c_depth). Decoder level l (depth − 1 down to 0): 2×2 stride-2
 * transposed convolution to c_l channels (with bias, no BN), merge with e_l, block(c_l). Head: 1×1
 * convolution to 1 logit per pixel (2 classes) or one per class, no activation (losses take logits).
 * block(c) = (conv3×3 without bias → BN → ReLU) × 2; c_l = round(16·width)·2^l.
 *
 * skips: 'concat' concatenates [up, e_l] along channels, so the first conv of the decoder block
 * takes 2·c_l input channels: the one place where the skip mode changes a weight's shape.
 * 'add' adds e_l to up (c_l channels). 'none' feeds up alone (c_l channels): the 'concat' net with
 * the long skips removed and nothing else changed but that input-channel count ('add' and 'none'
 * have identical weights and parameter counts). Initializers are seeded by layer name, so every
 * weight of the same shape starts equal across the three modes.
 *
 * Layer names: enc{l}_{conv1,bn1,relu1,conv2,bn2,relu2}, enc{l}_pool, bottleneck_{conv1,…,relu2},
 * dec{l}_up, dec{l}_concat | dec{l}_add, dec{l}_{conv1,…,relu2}, head.
 */
export function unet(options: UnetOptions): tf.LayersModel {
  const { depth, skips, inputShape, classes, width = 1, seed = 0 } = options;
  if (!Number.isInteger(depth) || depth < 1) throw new ContractError('architecture.depth', `must be a positive integer, got ${depth}`);
  if (!(width > 0)) throw new ContractError('architecture.width', `must be positive, got ${width}`);
  if (!Number.isInteger(classes) || classes < 2) throw new ContractError('classes', `must be an integer ≥ 2, got ${classes}`);
  const side = 2 ** depth;
  if (inputShape[0] % side !== 0 || inputShape[1] % side !== 0) {
    throw new ContractError('architecture.depth', `depth ${depth} needs image sides divisible by ${side}, got [${inputShape.join(', ')}]`);
  }
  const channels = unetLevelChannels(width, depth);
  const block = (prefix: string, filters: number, x: tf.SymbolicTensor) => {
    let h = x;
    for (const k of [1, 2]) {
      h = applyTo(
        tf.layers.conv2d({ name: `${prefix}_conv${k}`, filters, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: heNormal(seed, `${prefix}_conv${k}`) }),
        h,
      );
      h = applyTo(batchNorm(`${prefix}_bn${k}`), h);
      h = applyTo(tf.layers.reLU({ name: `${prefix}_relu${k}` }), h);
    }
    return h;
  };

  const input = tf.input({ shape: inputShape, name: 'input' });
  const encoded: tf.SymbolicTensor[] = [];
  let h = input;
  for (let level = 0; level < depth; level++) {
    h = block(`enc${level}`, channels[level]!, h);
    encoded.push(h);
    h = applyTo(tf.layers.maxPooling2d({ name: `enc${level}_pool`, poolSize: 2, strides: 2 }), h);
  }
  h = block('bottleneck', channels[depth]!, h);
  for (let level = depth - 1; level >= 0; level--) {
    const up = applyTo(
      tf.layers.conv2dTranspose({
        name: `dec${level}_up`, filters: channels[level]!, kernelSize: 2, strides: 2, padding: 'same', kernelInitializer: heNormal(seed, `dec${level}_up`),
      }),
      h,
    );
    const skip = encoded[level]!;
    h = skips === 'concat'
      ? applyTo(tf.layers.concatenate({ name: `dec${level}_concat`, axis: -1 }), [up, skip])
      : skips === 'add'
        ? applyTo(tf.layers.add({ name: `dec${level}_add` }), [up, skip])
        : up;
    h = block(`dec${level}`, channels[level]!, h);
  }
  const output = applyTo(
    tf.layers.conv2d({ name: 'head', filters: pixelOutputChannels(classes), kernelSize: 1, kernelInitializer: heNormal(seed, 'head') }),
    h,
  );
  return tf.model({ inputs: input, outputs: output, name: skips === 'none' ? 'unet_noskip' : `unet_${skips}` });
}
