import type { GradientEngine } from '../autodiff/index.ts';

/** v ↦ A·v for a symmetric operator A (the Hessian, possibly shifted). */
export type LinearOperator = (v: Float32Array) => Promise<Float32Array>;

/**
 * The loss Hessian at θ as a linear operator over the engine's differentiated parameters: exact
 * products (forward-over-reverse, method.md "Hessian"), 0 outside the engine's mask. Finite
 * differences of gradients are not the local Hessian of a ReLU network and are not used.
 */
export function hessianAt(engine: GradientEngine, theta: Float32Array): LinearOperator {
  const point = theta.slice();
  return (v) => engine.hessianVectorProduct(point, v);
}
