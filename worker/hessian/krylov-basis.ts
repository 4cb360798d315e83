/**
 * A re-orthogonalization pass that keeps less than this fraction of the vector's norm means most
 * of what remained was rounding error along the basis: pass again, and after MAX_PASSES such
 * passes the vector is taken to lie in the span (the DGKS criterion with ARPACK dsaitr's 0.717).
 */
const KEEP_FRACTION = 0.717;
const MAX_PASSES = 3;

export interface Orthogonalized {
  /** ⟨w, q_i⟩ for every basis vector, summed over the passes (column of the projected matrix). */
  coefficients: number[];
  /** ‖w‖ after orthogonalization; 0 when w lies (numerically) in the span of the basis. */
  norm: number;
}

function norm64(w: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < w.length; i++) sum += w[i]! * w[i]!;
  return Math.sqrt(sum);
}

/**
 * An orthonormal basis of a Krylov space: vectors stored in float32 (the operator's precision,
 * half the memory of a 20-vector basis of a large network), all arithmetic in float64.
 */
export class KrylovBasis {
  readonly vectors: Float32Array[] = [];

  constructor(readonly dimension: number) {}

  get size(): number {
    return this.vectors.length;
  }

  /**
   * Removes the components of w along the basis (in place, classical Gram–Schmidt repeated by the
   * DGKS criterion, which full reorthogonalization needs to keep Lanczos free of ghost copies).
   */
  orthogonalize(w: Float64Array): Orthogonalized {
    const coefficients = new Array<number>(this.size).fill(0);
    let before = norm64(w);
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      if (!(before > 0)) break;
      const projections = this.vectors.map((q) => {
        let s = 0;
        for (let i = 0; i < w.length; i++) s += w[i]! * q[i]!;
        return s;
      });
      this.vectors.forEach((q, k) => {
        const c = projections[k]!;
        coefficients[k]! += c;
        for (let i = 0; i < w.length; i++) w[i] -= c * q[i]!;
      });
      const after = norm64(w);
      if (after >= KEEP_FRACTION * before) return { coefficients, norm: after };
      before = after;
    }
    return { coefficients, norm: 0 };
  }

  /** Appends w/‖w‖ (w already orthogonal to the basis, wNorm > 0). */
  append(w: Float64Array, wNorm: number): Float32Array {
    // A loop, not Float32Array.from(w, map): V8 runs the mapping form about 50× slower.
    const q = new Float32Array(w.length);
    for (let i = 0; i < w.length; i++) q[i] = w[i]! / wNorm;
    this.vectors.push(q);
    return q;
  }

  /**
   * Replaces the basis Q by Q·S (S: size × k, columns orthonormal), the Ritz vectors a restart
   * keeps. Accumulates each new vector in float64.
   */
  rotate(columns: number[][]): void {
    const rotated = columns.map((s) => {
      const y = new Float64Array(this.dimension);
      this.vectors.forEach((q, j) => {
        const c = s[j]!;
        if (c !== 0) for (let i = 0; i < y.length; i++) y[i] += c * q[i]!;
      });
      return Float32Array.from(y);
    });
    this.vectors.length = 0;
    this.vectors.push(...rotated);
  }
}

/**
 * Grows the projected matrix Qᵀ·A·Q by the newest basis vector's row and column: `coefficients`
 * are its products with every basis vector (Orthogonalized.coefficients), symmetric by construction.
 */
export function extendProjection(projected: number[][], coefficients: readonly number[]): void {
  const j = projected.length;
  projected.forEach((row) => row.push(0));
  projected.push(new Array<number>(j + 1).fill(0));
  coefficients.forEach((c, i) => {
    projected[i]![j] = c;
    projected[j]![i] = c;
  });
}
