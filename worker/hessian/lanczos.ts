import { gaussianStream } from '../numeric/rng.ts';
import type { LinearOperator } from './hvp.ts';
import { KrylovBasis, extendProjection } from './krylov-basis.ts';
import { symmetricEigen } from './symmetric-eigen.ts';

export type RitzTarget = 'largest' | 'smallest' | 'both';

/** ARPACK's basis size for eigsh(k=1): ncv = max(2k + 1, 20). */
export const DEFAULT_BASIS_SIZE = 20;
/** Products allowed per run unless told otherwise: the first basis plus 18 restarts of 10 new vectors. */
export const DEFAULT_MAX_STEPS = 200;
/** The reference's eigsh tol. */
export const DEFAULT_TOLERANCE = 1e-2;

export interface LanczosOptions {
  /** Which end(s) of the spectrum must converge. Default 'both'. */
  target?: RitzTarget;
  /** Eigenvalues wanted at each targeted end. Default 1. */
  count?: number;
  /**
   * A Ritz value θ has converged when its residual bound ‖Ay − θy‖ = β·|s_last| (≥ |λ − θ| for some
   * eigenvalue λ) is ≤ tolerance·|θ|, eigsh's test. Near θ = 0 the bound is tolerance·max(|θ|,
   * tolerance·‖A‖) (‖A‖ estimated by the largest |Ritz value|): an eigenvalue below tolerance·‖A‖
   * is pinned to tolerance² of the spectrum's scale instead of to a relative precision no float32
   * operator can give. Default 1e-2.
   */
  tolerance?: number;
  /**
   * When set, the smallest end is tested as eigsh tests it on the shifted operator H − s·I with
   * s = shiftFactor · (largest Ritz value): residual ≤ tolerance·|θ − s|. A residual does not
   * change under a shift and the Krylov space of H − s·I is that of H, so one 'both' run meets the
   * reference's two-run criterion (λmax, then λmin of the shifted operator) with one basis.
   */
  shiftFactor?: number;
  /** Basis vectors kept before a restart (ARPACK's ncv). Default max(2·count + 1, 20), at most the dimension. */
  basisSize?: number;
  /**
   * Products before convergence is first tested (default: the basis size, as ARPACK tests only
   * after its first full factorization). Guards against a Krylov space of a few vectors whose
   * Ritz value has a tiny residual but sits on an inner cluster, not on the wanted end.
   */
  minSteps?: number;
  /** Operator products at most; the run reports converged: false if it got there first. Default 200. */
  maxSteps?: number;
  /**
   * 1 where the operator acts (e.g. the trainable entries), 0 elsewhere; the random vectors that
   * continue the run after an invariant subspace are drawn there only. Default: everywhere.
   */
  mask?: Uint8Array | null;
  /** Seed of those random vectors (used only after an invariant subspace). Default 0. */
  seed?: number;
}

export interface RitzEstimate {
  value: number;
  /** β·|s_last|: some eigenvalue lies within this of value. */
  residual: number;
  converged: boolean;
}

export interface LanczosResult {
  /** The `count` largest Ritz values, descending. */
  largest: RitzEstimate[];
  /** The `count` smallest Ritz values, ascending. */
  smallest: RitzEstimate[];
  /** Operator products used. */
  steps: number;
  restarts: number;
  /** Every wanted Ritz value passed the tolerance test (or the Krylov space filled the operator's domain). */
  converged: boolean;
  basisSize: number;
  tolerance: number;
}

function gaussianIn(normal: () => number, dimension: number, mask: Uint8Array | null): Float64Array {
  const v = new Float64Array(dimension);
  for (let i = 0; i < dimension; i++) v[i] = mask && !mask[i] ? 0 : normal();
  return v;
}

/**
 * Eigenvalues at the end(s) of a symmetric operator's spectrum by restarted Lanczos in
 * Krylov–Schur form (Stewart 2001; for symmetric operators the thick restart of Wu & Simon,
 * equivalent to ARPACK's implicit restart with exact shifts): full reorthogonalization, a
 * Rayleigh–Ritz step after every product, and when the basis is full the Ritz vectors nearest
 * the wanted end(s) are kept — half the basis, as ARPACK keeps for one eigenvalue — and the run
 * continues from the residual. An invariant subspace (β = 0) is continued with a random vector
 * of the domain; a run stops early only when that domain is exhausted (all Ritz values exact).
 */
export async function lanczos(apply: LinearOperator, start: Float32Array, options: LanczosOptions = {}): Promise<LanczosResult> {
  const n = start.length;
  const target = options.target ?? 'both';
  const count = options.count ?? 1;
  const tolerance = options.tolerance ?? DEFAULT_TOLERANCE;
  const basisSize = Math.min(options.basisSize ?? Math.max(2 * count + 1, DEFAULT_BASIS_SIZE), n);
  const maxSteps = options.maxSteps ?? DEFAULT_MAX_STEPS;
  const minSteps = Math.min(options.minSteps ?? basisSize, maxSteps);
  const ends = target === 'both' ? 2 : 1;
  if (!Number.isInteger(count) || count < 1) throw new Error(`count must be a positive integer, got ${count}`);
  if (basisSize < Math.min(n, ends * count + 1)) throw new Error(`a basis of ${basisSize} vectors cannot hold ${count} Ritz vectors at ${ends} end(s) plus a new one`);
  const mask = options.mask ?? null;
  let normal: (() => number) | null = null;
  const basis = new KrylovBasis(n);

  let next: Float64Array = Float64Array.from(start);
  let nextNorm = basis.orthogonalize(next).norm;
  if (!(nextNorm > 0)) throw new Error('the Lanczos start vector is zero');
  let projected: number[][] = [];
  let steps = 0;
  let restarts = 0;
  for (;;) {
    const q = basis.append(next, nextNorm);
    const w = Float64Array.from(await apply(q));
    steps++;
    if (!w.every(Number.isFinite)) return nonFinite(basis.size, steps, restarts, count, basisSize, tolerance);
    const { coefficients, norm: beta } = basis.orthogonalize(w);
    const j = basis.size - 1;
    extendProjection(projected, coefficients);

    const { values, vectors } = symmetricEigen(projected);
    const scale = Math.max(Math.abs(values[0]!), Math.abs(values[j]!));
    const estimate = (k: number, reference: (value: number) => number): RitzEstimate => {
      const residual = beta * Math.abs(vectors[k]![j]!);
      const value = values[k]!;
      return { value, residual, converged: residual <= tolerance * Math.max(reference(value), tolerance * scale) };
    };
    const shift = options.shiftFactor === undefined ? null : options.shiftFactor * values[j]!;
    const relativeToSelf = (value: number) => Math.abs(value);
    const relativeToShift = shift === null ? relativeToSelf : (value: number) => Math.abs(value - shift);
    const wanted = Math.min(count, values.length);
    const largest = Array.from({ length: wanted }, (_, k) => estimate(j - k, relativeToSelf));
    const smallest = Array.from({ length: wanted }, (_, k) => estimate(k, relativeToShift));
    const targeted = target === 'largest' ? largest : target === 'smallest' ? smallest : [...largest, ...smallest];
    const converged = targeted.every((e) => e.converged);
    const result = (done: boolean): LanczosResult => ({ largest, smallest, steps, restarts, converged: done, basisSize, tolerance });
    if (converged && steps >= minSteps) return result(true);
    if (steps >= maxSteps) return result(converged);

    let residualVector: Float64Array = w;
    let residualNorm = beta;
    if (residualNorm === 0) {
      // The Krylov space is invariant: its Ritz values are exact eigenvalues, but the wanted end
      // may lie outside it. Continue with a random vector of the domain, unless none is left.
      normal ??= gaussianStream(options.seed ?? 0);
      residualVector = gaussianIn(normal, n, mask);
      residualNorm = basis.orthogonalize(residualVector).norm;
      if (residualNorm === 0) return result(true);
    }
    if (basis.size === basisSize) {
      const keep = keptIndices(values, target, Math.max(count, Math.floor(basisSize / 2)));
      basis.rotate(keep.map((k) => vectors[k]!));
      projected = keep.map((k, row) => keep.map((_, column) => (row === column ? values[k]! : 0)));
      restarts++;
    }
    next = residualVector;
    nextNorm = residualNorm;
  }
}

/** Indices (into ascending Ritz values) of the `keep` Ritz vectors nearest the wanted end(s). */
function keptIndices(values: number[], target: RitzTarget, keep: number): number[] {
  const m = values.length;
  const top = Array.from({ length: m }, (_, k) => m - 1 - k);
  const bottom = Array.from({ length: m }, (_, k) => k);
  if (target === 'largest') return top.slice(0, keep);
  if (target === 'smallest') return bottom.slice(0, keep);
  const half = Math.ceil(keep / 2);
  return [...bottom.slice(0, half), ...top.slice(0, keep - half)];
}

function nonFinite(size: number, steps: number, restarts: number, count: number, basisSize: number, tolerance: number): LanczosResult {
  const nan = Array.from({ length: Math.min(count, size) }, () => ({ value: NaN, residual: NaN, converged: false }));
  return { largest: nan, smallest: nan.map((e) => ({ ...e })), steps, restarts, converged: false, basisSize, tolerance };
}
