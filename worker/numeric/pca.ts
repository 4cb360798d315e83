import { symmetricEigen } from '../hessian/symmetric-eigen.ts';
import { dot } from './vector.ts';

export interface PrincipalComponents {
  /** Unit principal axes (length = the rows' length), largest variance first. */
  components: Float32Array[];
  /** λ_k / (n − 1): the variance along each component (sklearn's explained_variance_). */
  explainedVariance: number[];
  /** λ_k / Σ_j λ_j over every eigenvalue (sklearn's explained_variance_ratio_). */
  explainedVarianceRatio: number[];
}

/**
 * The first `count` principal components of n rows (the centred rows, as sklearn.PCA centres
 * them), from the n×n Gram matrix G = X̄X̄ᵀ rather than the P×P covariance: n is a few checkpoints
 * and P is every parameter. With G = UΛUᵀ the axes are v_k = X̄ᵀu_k / √λ_k. Each axis' sign makes
 * the largest |u_k| entry positive (sklearn's svd_flip on U), so the result is deterministic.
 * Sums in float64.
 */
export function principalComponents(rows: readonly Float32Array[], count: number): PrincipalComponents {
  const n = rows.length;
  if (n < count + 1) throw new Error(`${count} principal components need at least ${count + 1} rows, got ${n}`);
  const length = rows[0]!.length;
  if (rows.some((r) => r.length !== length)) throw new Error('the rows differ in length');
  const mean = new Float64Array(length);
  for (const row of rows) for (let p = 0; p < length; p++) mean[p]! += row[p]! / n;
  // Centred on the fly: n float64 copies of every parameter would not fit for large models.
  const gram: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const a = rows[i]!;
      const b = rows[j]!;
      let sum = 0;
      for (let p = 0; p < length; p++) sum += (a[p]! - mean[p]!) * (b[p]! - mean[p]!);
      gram[i]![j] = sum;
      gram[j]![i] = sum;
    }
  }
  const eigen = symmetricEigen(gram);
  // Round-off can leave the null directions (the centring removes one) slightly negative.
  const total = eigen.values.reduce((sum, v) => sum + Math.max(v, 0), 0);
  const components: Float32Array[] = [];
  const explainedVariance: number[] = [];
  const explainedVarianceRatio: number[] = [];
  for (let k = 0; k < count; k++) {
    const index = n - 1 - k;
    const lambda = eigen.values[index]!;
    if (!(lambda > 0)) throw new Error(`the rows span fewer than ${count} dimensions (eigenvalue ${k + 1} is ${lambda})`);
    const u = eigen.vectors[index]!;
    const largest = u.reduce((best, v, i) => (Math.abs(v) > Math.abs(u[best]!) ? i : best), 0);
    const sign = Math.sign(u[largest]!) || 1;
    const axis = new Float64Array(length);
    for (let i = 0; i < n; i++) {
      const weight = (sign * u[i]!) / Math.sqrt(lambda);
      const row = rows[i]!;
      for (let p = 0; p < length; p++) axis[p]! += weight * (row[p]! - mean[p]!);
    }
    components.push(Float32Array.from(axis));
    explainedVariance.push(lambda / (n - 1));
    explainedVarianceRatio.push(lambda / total);
  }
  return { components, explainedVariance, explainedVarianceRatio };
}


/**
 * A path projected onto the plane of δ and η (the reference's project_trajectory): `cos` the
 * scalar projections (d·δ/‖δ‖, d·η/‖η‖), `leastSquares` the (a, b) minimizing ‖d − aδ − bη‖ (its
 * 2×2 normal equations). For orthonormal δ, η, as principal axes are, both agree.
 */
export function projectOntoPlane(points: readonly Float32Array[], dx: Float32Array, dy: Float32Array): { cos: [number, number][]; leastSquares: [number, number][] } {
  const xx = dot(dx, dx);
  const yy = dot(dy, dy);
  const xy = dot(dx, dy);
  const det = xx * yy - xy * xy;
  if (!(det > 0)) throw new Error('δ and η are parallel or zero: they span no plane');
  const cos: [number, number][] = [];
  const leastSquares: [number, number][] = [];
  for (const d of points) {
    const px = dot(d, dx);
    const py = dot(d, dy);
    cos.push([px / Math.sqrt(xx), py / Math.sqrt(yy)]);
    leastSquares.push([(yy * px - xy * py) / det, (xx * py - xy * px) / det]);
  }
  return { cos, leastSquares };
}
