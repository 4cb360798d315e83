/** Flat-vector arithmetic on float32 storage with float64 accumulation (sums over millions of terms). */

function assertSameLength(a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length) throw new Error(`vector lengths differ: ${a.length} vs ${b.length}`);
}

/** Equal entry by entry (a NaN entry never equals). */
export function sameValues(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function dot(a: Float32Array, b: Float32Array): number {
  assertSameLength(a, b);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

export function norm(a: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * a[i]!;
  return Math.sqrt(sum);
}

/** cos(a, b) = ⟨a, b⟩ / (‖a‖‖b‖); NaN when either vector is zero (no angle exists). */
export function cosine(a: Float32Array, b: Float32Array): number {
  return dot(a, b) / (norm(a) * norm(b));
}

/** out = theta + a·dx + b·dy (dy may be null); returns out */
export function perturb(theta: Float32Array, dx: Float32Array, a: number, dy: Float32Array | null, b: number, out: Float32Array): Float32Array {
  assertSameLength(theta, dx);
  assertSameLength(theta, out);
  if (dy === null) {
    for (let i = 0; i < theta.length; i++) out[i] = theta[i]! + a * dx[i]!;
  } else {
    assertSameLength(theta, dy);
    for (let i = 0; i < theta.length; i++) out[i] = theta[i]! + a * dx[i]! + b * dy[i]!;
  }
  return out;
}
