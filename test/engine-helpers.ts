import * as tf from '@tensorflow/tfjs';
import type { ModelArtifact } from '../worker/engine/evaluator.ts';
import { layersModelArtifact } from '../worker/engine/tfjs/artifact.ts';
import { saveLayersModel } from '../worker/engine/tfjs/save-model.ts';
import { TfjsEvaluator } from '../worker/engine/tfjs/evaluator.ts';

/** Tests run the engine on wasm, the backend the workers use here. */
export async function wasmEvaluator(): Promise<TfjsEvaluator> {
  return TfjsEvaluator.create({ backend: 'wasm' });
}

/** The stored form of an in-memory model, as the worker receives it. */
export async function artifactOf(model: tf.LayersModel): Promise<ModelArtifact> {
  const files = await saveLayersModel(model);
  return layersModelArtifact(files, `test-${model.name}`);
}

/** Deterministic uniform numbers in [-1, 1) (a small LCG: the tests need fixed, not good, randomness). */
export function fixedNumbers(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let state = seed >>> 0;
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state / 2 ** 31 - 1;
  }
  return out;
}

/** A Dense(1) linear-regression model over `features` inputs, weights from `seed`. */
export function linearRegressionModel(features: number, seed: number): tf.LayersModel {
  return tf.sequential({
    name: `linreg${seed}`,
    layers: [tf.layers.dense({ units: 1, inputShape: [features], kernelInitializer: tf.initializers.randomNormal({ seed }), biasInitializer: 'ones' })],
  });
}

/** Closed-form mean((Xw + b − y)²) in float64. */
export function linearRegressionLoss(x: Float32Array, y: Float32Array, w: ArrayLike<number>, b: number): number {
  const features = w.length;
  const n = y.length;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    let prediction = b;
    for (let j = 0; j < features; j++) prediction += x[i * features + j]! * w[j]!;
    sum += (prediction - y[i]!) ** 2;
  }
  return sum / n;
}
