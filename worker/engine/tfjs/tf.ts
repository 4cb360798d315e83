/**
 * The parts of TensorFlow.js this project uses, as one namespace: `import * as tf from '…/tf.ts'`.
 * tfjs-core (tensors, ops, tf.io, tf.train), tfjs-layers (models and layers; its Node build also
 * registers the gradient of every op) and the plain-JS cpu backend; wasm and the optional tfjs-node
 * are loaded on demand by backend.ts. The @tensorflow/tfjs umbrella would add the WebGL backend, the
 * graph-model converter and tf.data, which nothing here runs.
 */
import { MathBackendCPU, version_cpu } from '@tensorflow/tfjs-backend-cpu';
import { version_core } from '@tensorflow/tfjs-core';
import { version_layers } from '@tensorflow/tfjs-layers';

export * from '@tensorflow/tfjs-core';
export * from '@tensorflow/tfjs-layers';

/** Versions recorded with every number; `tfjs` is tfjs-core's (the umbrella package carried the same one). */
export const version = { tfjs: version_core, 'tfjs-core': version_core, 'tfjs-layers': version_layers, 'tfjs-backend-cpu': version_cpu } as const;

/**
 * On its first tensor in Node every cpu backend prints "install our node backend" (tfjs has no flag
 * for that banner alone; enableProdMode would silence every tfjs warning). backend.ts already takes
 * tfjs-node whenever it is installed and says so when wasm fails, so the banner's guard reads as
 * "already shown" for every instance, including those tfjs creates later when it picks a default
 * backend: `firstUse` guards nothing else, and every other tfjs warning still prints.
 */
Object.defineProperty(MathBackendCPU.prototype, 'firstUse', { get: () => false, set: () => {}, configurable: true });
