import type { GradientEngine } from '../autodiff/index.ts';

export interface DenseHessian {
  /** H restricted to the differentiated parameters, symmetrized: (H + Hᵀ)/2, float64 rows. */
  matrix: number[][];
  /** Flat parameter index of each row/column. */
  indices: number[];
  /** max |H_ij − H_ji| / max |H_ij| before symmetrizing (float32 rounding of the products). */
  asymmetry: number;
}

/**
 * The Hessian at θ over the engine's differentiated parameters, one column per exact product
 * H·e_j. For tests and small models only: as many products as parameters. An independent check
 * of Lanczos (its eigenvalues by symmetric-eigen.ts are exact up to rounding).
 */
export async function denseHessian(engine: GradientEngine, theta: Float32Array): Promise<DenseHessian> {
  const indices: number[] = [];
  engine.mask.forEach((m, i) => m && indices.push(i));
  const columns: Float32Array[] = [];
  const unit = new Float32Array(theta.length);
  for (const j of indices) {
    unit[j] = 1;
    columns.push(await engine.hessianVectorProduct(theta, unit));
    unit[j] = 0;
  }
  const n = indices.length;
  let asymmetry = 0;
  let scale = 0;
  const matrix = Array.from({ length: n }, (_, r) => Array.from({ length: n }, (_, c) => {
    const a = columns[c]![indices[r]!]!;
    const b = columns[r]![indices[c]!]!;
    asymmetry = Math.max(asymmetry, Math.abs(a - b));
    scale = Math.max(scale, Math.abs(a));
    return (a + b) / 2;
  }));
  return { matrix, indices, asymmetry: scale > 0 ? asymmetry / scale : 0 };
}
