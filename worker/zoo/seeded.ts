import * as tf from '../engine/tfjs/tf.ts';

/**
 * Initializer seeds derived from the model seed and the LAYER NAME (FNV-1a), not from a running
 * layer index: removing the shortcut layers of a net then leaves every other layer's initial
 * weights unchanged, so a skip / no-skip pair starts from the same point.
 */
export function layerSeed(modelSeed: number, layerName: string): number {
  let hash = 0x811c9dc5;
  for (const char of `${modelSeed}:${layerName}`) {
    hash ^= char.codePointAt(0)!;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % 2 ** 31;
}

/** He-normal kernels (ReLU nets; the reference's kaiming_normal) seeded per layer. */
export function heNormal(modelSeed: number, layerName: string): ReturnType<typeof tf.initializers.heNormal> {
  return tf.initializers.heNormal({ seed: layerSeed(modelSeed, layerName) });
}

/** Glorot-uniform kernels for the softmax classifier, seeded per layer. */
export function glorotUniform(modelSeed: number, layerName: string): ReturnType<typeof tf.initializers.heNormal> {
  return tf.initializers.glorotUniform({ seed: layerSeed(modelSeed, layerName) });
}

/**
 * Batch normalization as PyTorch's defaults (the reference's): running statistics updated with
 * weight 0.1 per batch (Keras momentum 0.9) and ε = 1e-5.
 */
export function batchNorm(name: string): tf.layers.Layer {
  return tf.layers.batchNormalization({ name, momentum: 0.9, epsilon: 1e-5 });
}

/** Apply a layer to one symbolic tensor (tfjs types the result as a union). */
export function applyTo(layer: tf.layers.Layer, input: tf.SymbolicTensor | tf.SymbolicTensor[]): tf.SymbolicTensor {
  return layer.apply(input) as tf.SymbolicTensor;
}
