import { gaussianStream } from '../numeric/rng.ts';
import type { LinearOperator } from './hvp.ts';
import { lanczos, type LanczosOptions } from './lanczos.ts';

/** s = SHIFT_FACTOR · λmax, the shift of the reference's λmin run (0.51): λmin's tolerance is relative to |λmin − s|. */
export const SHIFT_FACTOR = 0.51;

export interface EigenRatioOptions {
  lanczos?: Omit<LanczosOptions, 'target' | 'count' | 'mask' | 'seed' | 'shiftFactor'>;
  /** Seed of the Gaussian start vector (and of any restart vector after an invariant subspace). Default 0. */
  seed?: number;
}

export interface EigenRatio {
  lambdaMax: number;
  lambdaMin: number;
  /** λmin/λmax, signed (−1 for a symmetric saddle); null when λmax = 0. */
  ratio: number | null;
  /** s = 0.51·λmax: λmin's residual test is relative to |λmin − s|, as the reference's eigsh on H − s·I. */
  shift: number;
  /** Operator products used. */
  products: number;
  /** Both ends met their tolerance. */
  converged: boolean;
  /**
   * Residual bounds: some eigenvalue lies within residuals.lambdaMax of lambdaMax, and within
   * residuals.lambdaMin of lambdaMin (tested against tol·|λmin − s| as in the reference's eigsh call).
   */
  residuals: { lambdaMax: number; lambdaMin: number };
  /** Seed of the start vector. */
  seed: number;
}

/** A Gaussian vector that is 0 wherever mask is 0 (non-trainable entries have no curvature to find). */
export function maskedGaussian(normal: () => number, dimension: number, mask: Uint8Array | null): Float32Array {
  const v = new Float32Array(dimension);
  for (let i = 0; i < dimension; i++) v[i] = mask && !mask[i] ? 0 : normal();
  return v;
}

/**
 * λmax and λmin of a symmetric operator to the reference's criterion (loss-landscape
 * hess_vec_prod.min_max_hessian_eigs: λmax by eigsh on H, then λmin by eigsh on H − s·I with
 * s = 0.51·λmax, each to a residual of tol relative to its own Ritz value) in one Lanczos run
 * that keeps Ritz vectors at both ends: a shift changes neither the Krylov space nor a residual,
 * so the two ends converge together in about half the reference's products (lanczos.ts,
 * shiftFactor). Unlike the reference's 'LM' run (which returns λmax again when λmin > 0.02·λmax),
 * the smallest Ritz value is taken, so positive-definite points get their true λmin too.
 */
export async function extremeEigenvalues(apply: LinearOperator, dimension: number, mask: Uint8Array | null, options: EigenRatioOptions = {}): Promise<EigenRatio> {
  const seed = options.seed ?? 0;
  let products = 0;
  const counted: LinearOperator = (v) => {
    products++;
    return apply(v);
  };
  const start = maskedGaussian(gaussianStream(seed), dimension, mask);
  const run = await lanczos(counted, start, { ...options.lanczos, target: 'both', shiftFactor: SHIFT_FACTOR, mask, seed });
  const lambdaMax = run.largest[0]!.value;
  const lambdaMin = Math.min(run.smallest[0]!.value, lambdaMax);
  return {
    lambdaMax,
    lambdaMin,
    ratio: lambdaMax !== 0 ? lambdaMin / lambdaMax : null,
    shift: SHIFT_FACTOR * lambdaMax,
    products,
    converged: run.converged,
    residuals: { lambdaMax: run.largest[0]!.residual, lambdaMin: run.smallest[0]!.residual },
    seed,
  };
}
