import { norm } from '../numeric/vector.ts';

/** ∇L at a flat parameter vector (e.g. GradientEvaluator.lossAndGradient(θ).gradient). */
export type GradientFn = (point: Float32Array) => Promise<Float32Array>;
/** v ↦ A·v for a symmetric operator A (the Hessian, possibly shifted). */
export type LinearOperator = (v: Float32Array) => Promise<Float32Array>;

/** ε = HVP_EPSILON_SCALE · ‖θ‖ / ‖v‖ (method.md, "Hessian"), ‖θ‖ over the entries the Hessian is taken in. */
export const HVP_EPSILON_SCALE = 1e-3;

export interface HvpOptions {
  /** The 1e-3 in ε = scale·‖θ‖/‖v‖. Default HVP_EPSILON_SCALE. When ‖θ‖ = 0, ‖θ‖ is taken as 1. */
  epsilonScale?: number;
  /**
   * 1 where the Hessian is taken (trainableMask); ‖θ‖ is measured there only. Default: everywhere.
   * Without it, BN moving variances (up to ~1e5 in a deep net without skips) would set ε and
   * throw the trainable weights far outside the neighbourhood whose curvature is wanted.
   */
  mask?: Uint8Array | null;
}

/** ‖θ‖ over the entries where mask is 1 (all entries without a mask). */
function maskedNorm(theta: Float32Array, mask: Uint8Array | null | undefined): number {
  if (!mask) return norm(theta);
  let sum = 0;
  for (let i = 0; i < theta.length; i++) if (mask[i]) sum += theta[i]! * theta[i]!;
  return Math.sqrt(sum);
}

/**
 * Hessian-vector product by central differences of first-order gradients (method.md: never tfjs
 * double backprop): Hv ≈ (∇L(θ + εv) − ∇L(θ − εv)) / (2ε), exact for quadratic L up to rounding.
 * Scaling ε with ‖θ‖/‖v‖ keeps the step a fixed fraction of the weights whatever v's length.
 */
export async function finiteDifferenceHvp(gradient: GradientFn, theta: Float32Array, v: Float32Array, options: HvpOptions = {}): Promise<Float32Array> {
  if (v.length !== theta.length) throw new Error(`v has ${v.length} values, θ ${theta.length}`);
  const vNorm = norm(v);
  if (vNorm === 0) return new Float32Array(v.length);
  const thetaNorm = maskedNorm(theta, options.mask);
  const epsilon = ((options.epsilonScale ?? HVP_EPSILON_SCALE) * (thetaNorm > 0 ? thetaNorm : 1)) / vNorm;
  const plus = new Float32Array(theta.length);
  const minus = new Float32Array(theta.length);
  for (let i = 0; i < theta.length; i++) {
    plus[i] = theta[i]! + epsilon * v[i]!;
    minus[i] = theta[i]! - epsilon * v[i]!;
  }
  const gradientPlus = await gradient(plus);
  const gradientMinus = await gradient(minus);
  const product = new Float32Array(theta.length);
  for (let i = 0; i < theta.length; i++) product[i] = (gradientPlus[i]! - gradientMinus[i]!) / (2 * epsilon);
  return product;
}

/** The Hessian at θ as a linear operator, counting its products (each costs two gradients). */
export function hessianOperator(gradient: GradientFn, theta: Float32Array, options: HvpOptions = {}): LinearOperator & { products: () => number } {
  let products = 0;
  const apply = async (v: Float32Array) => {
    products++;
    return finiteDifferenceHvp(gradient, theta, v, options);
  };
  return Object.assign(apply, { products: () => products });
}
