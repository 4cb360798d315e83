import { gaussianStream } from '../numeric/rng.ts';
import type { LinearOperator } from './hvp.ts';
import { lanczos, type LanczosOptions } from './lanczos.ts';

/** s = SHIFT_FACTOR · λmax for the λmin run (the reference's 0.51). */
export const SHIFT_FACTOR = 0.51;

export interface EigenRatioOptions {
  lanczos?: Omit<LanczosOptions, 'target' | 'count' | 'mask' | 'seed'>;
  /** Seed of the Gaussian start vectors (λmax run: seed, λmin run: the same stream continued). Default 0. */
  seed?: number;
}

export interface EigenRatio {
  lambdaMax: number;
  lambdaMin: number;
  /** λmin/λmax, signed (−1 for a symmetric saddle); null when λmax = 0. */
  ratio: number | null;
  /** The shift s used for the λmin run. */
  shift: number;
  /** Operator products used, both runs. */
  products: number;
  /** Both Lanczos runs met their tolerance. */
  converged: boolean;
  /**
   * Residual bounds: some eigenvalue lies within residuals.lambdaMax of lambdaMax; λmin's is that
   * of the shifted run, whose tolerance is relative to λmin − s as in the reference's eigsh call.
   */
  residuals: { lambdaMax: number; lambdaMin: number };
  /** Seed of the start vectors. */
  seed: number;
}

/** A Gaussian vector that is 0 wherever mask is 0 (non-trainable entries have no curvature to find). */
export function maskedGaussian(normal: () => number, dimension: number, mask: Uint8Array | null): Float32Array {
  const v = new Float32Array(dimension);
  for (let i = 0; i < dimension; i++) v[i] = mask && !mask[i] ? 0 : normal();
  return v;
}

/**
 * λmax and λmin of a symmetric operator as the reference does (loss-landscape
 * hess_vec_prod.min_max_hessian_eigs): λmax by Lanczos on H, then λmin by Lanczos on H − s·I with
 * s = 0.51·λmax, adding s back. Unlike the reference (eigsh 'LM' on the shifted operator, which
 * returns λmax again when λmin > 0.02·λmax), the smallest Ritz value of the shifted run is taken,
 * so positive-definite points get their true λmin too. Each run has its own convergence test
 * (lanczos.ts), so the λmin run no longer stops on a tolerance set by the other end.
 */
export async function extremeEigenvalues(apply: LinearOperator, dimension: number, mask: Uint8Array | null, options: EigenRatioOptions = {}): Promise<EigenRatio> {
  const seed = options.seed ?? 0;
  const normal = gaussianStream(seed);
  let products = 0;
  const counted: LinearOperator = (v) => {
    products++;
    return apply(v);
  };
  const top = await lanczos(counted, maskedGaussian(normal, dimension, mask), { ...options.lanczos, target: 'largest', mask, seed });
  const lambdaMax = top.largest[0]!.value;
  const shift = SHIFT_FACTOR * lambdaMax;
  const shifted: LinearOperator = async (v) => {
    const hv = await counted(v);
    for (let i = 0; i < hv.length; i++) hv[i] = hv[i]! - shift * v[i]!;
    return hv;
  };
  const bottom = await lanczos(shifted, maskedGaussian(normal, dimension, mask), { ...options.lanczos, target: 'smallest', mask, seed: seed + 1 });
  const lambdaMin = Math.min(bottom.smallest[0]!.value + shift, lambdaMax);
  return {
    lambdaMax,
    lambdaMin,
    ratio: lambdaMax !== 0 ? lambdaMin / lambdaMax : null,
    shift,
    products,
    converged: top.converged && bottom.converged,
    residuals: { lambdaMax: top.largest[0]!.residual, lambdaMin: bottom.smallest[0]!.residual },
    seed,
  };
}
