/** Percentile q ∈ [0, 1] of sorted values by linear interpolation between closest ranks (numpy's default). */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  const position = q * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below]! + (position - below) * (sorted[above]! - sorted[below]!);
}
