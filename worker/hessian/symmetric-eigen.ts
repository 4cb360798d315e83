export interface SymmetricEigen {
  /** Eigenvalues, ascending. */
  values: number[];
  /** vectors[k] is the unit eigenvector of values[k]. */
  vectors: number[][];
}

const MAX_SWEEPS = 100;

/**
 * All eigenpairs of a small dense symmetric matrix by the cyclic Jacobi method (float64). Used
 * on Lanczos' tridiagonal matrices (tens of rows), where its simplicity and accuracy beat speed.
 * Only the upper triangle is read.
 */
export function symmetricEigen(matrix: readonly (readonly number[])[]): SymmetricEigen {
  const n = matrix.length;
  if (matrix.some((row) => row.length !== n)) throw new Error(`the matrix must be square, got ${n} rows of lengths ${matrix.map((r) => r.length).join(',')}`);
  const a = matrix.map((row, i) => row.map((_, j) => (j >= i ? matrix[i]![j]! : matrix[j]![i]!)));
  const v: number[][] = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let offDiagonal = 0;
    let scale = 0;
    for (let i = 0; i < n; i++) {
      scale += a[i]![i]! * a[i]![i]!;
      for (let j = i + 1; j < n; j++) offDiagonal += a[i]![j]! * a[i]![j]!;
    }
    if (offDiagonal <= 1e-30 * Math.max(scale, Number.MIN_VALUE)) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p]![q]!;
        if (apq === 0) continue;
        // Rotation angle that zeroes a[p][q] (Golub & Van Loan, symmetric Schur decomposition).
        const tau = (a[q]![q]! - a[p]![p]!) / (2 * apq);
        const t = Math.sign(tau || 1) / (Math.abs(tau) + Math.sqrt(1 + tau * tau));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k]![p]!;
          const akq = a[k]![q]!;
          a[k]![p] = c * akp - s * akq;
          a[k]![q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p]![k]!;
          const aqk = a[q]![k]!;
          a[p]![k] = c * apk - s * aqk;
          a[q]![k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k]![p]!;
          const vkq = v[k]![q]!;
          v[k]![p] = c * vkp - s * vkq;
          v[k]![q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[i]![i]! - a[j]![j]!);
  return {
    values: order.map((i) => a[i]![i]!),
    vectors: order.map((i) => v.map((row) => row[i]!)),
  };
}
