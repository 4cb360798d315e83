import type { ResolvedOptimizer } from '../../../contract/training.ts';
import { adam } from './adam.ts';
import { sgd } from './sgd.ts';

/**
 * A first-order optimizer over a flat float32 parameter vector, in TypeScript (the gradient engine
 * returns plain Float32Arrays; no tensor library is needed to apply them). Each rule reproduces
 * tfjs-core's optimizer of the same name element for element, in float32 (Math.fround after every
 * operation tfjs performs as a float32 tensor op), so both training engines apply the same update.
 */
export interface Optimizer {
  /** θ ← θ − update(g) in place, on the entries where the mask is 1 (the others stay as they are). */
  step(theta: Float32Array, gradient: Float32Array, learningRate: number): void;
}

export type OptimizerFactory<S extends ResolvedOptimizer> = (spec: S, mask: Uint8Array) => Optimizer;

/** Optimizers by ResolvedOptimizer name. */
export const OPTIMIZERS: { [K in ResolvedOptimizer['name']]: OptimizerFactory<Extract<ResolvedOptimizer, { name: K }>> } = {
  sgd,
  adam,
};

export function createOptimizer(spec: ResolvedOptimizer, mask: Uint8Array): Optimizer {
  return (OPTIMIZERS[spec.name] as OptimizerFactory<ResolvedOptimizer>)(spec, mask);
}
