/**
 * Progressive refinement of a surface (request.progressive): its grid points are computed coarse to
 * fine, level by level, so the whole shape shows within seconds and sharpens; every point is
 * computed once, in exactly one level, with the same numbers as row by row.
 *
 * Each axis of n points is bisected: its level 0 is the ends and the middle, round(k·(n − 1)/2) for
 * k = 0, 1, 2; level j adds round(k·(n − 1)/2^(j+1)), k = 0 … 2^(j+1), not already in an earlier
 * level (round half up); the last level, the first with 2^(j+1) ≥ n − 1, reaches every index. A grid
 * point's level is the larger of its column's and its row's, so the points known once levels 0 … ℓ
 * are in are all pairs of the two axes' points up to ℓ: a coarse grid, nearly evenly spaced, that
 * holds the corners, the edges' midpoints and the centre (θ* when an axis is symmetric with odd n)
 * from level 0 on. A 1D line (or the side-by-side splits of one, a row each) refines its x axis only.
 */

/** The refinement level of each index of an axis of n points (see the module comment). */
export function axisLevels(n: number): number[] {
  if (!Number.isInteger(n) || n < 1) throw new Error(`an axis of ${n} points is not a positive size`);
  const levels = new Array<number>(n).fill(-1);
  for (let level = 0; ; level++) {
    const parts = 2 ** (level + 1);
    // round(k·(n − 1)/parts), half up, in integers: ⌊(2k(n − 1) + parts) / (2·parts)⌋.
    for (let k = 0; k <= parts; k++) {
      const index = Math.floor((2 * k * (n - 1) + parts) / (2 * parts));
      if (levels[index] === -1) levels[index] = level;
    }
    if (parts >= n - 1) return levels;
  }
}

/** The levels of a grid's points: column ix of row iy is at level max(x[ix], y[iy]). */
export interface GridLevels {
  /** Level of each column. */
  x: number[];
  /** Level of each row: the y axis's, or 0 for every row of a 1D surface (its splits). */
  y: number[];
  /** Number of levels. */
  count: number;
  /** Points in each level; they sum to the grid's points. */
  points: number[];
}

/** `rows` evaluation rows: grid.y's points when `twoD`, else the splits of a 1D line (or 1). */
export function gridLevels(nx: number, rows: number, twoD: boolean): GridLevels {
  const x = axisLevels(nx);
  const y = twoD ? axisLevels(rows) : new Array<number>(rows).fill(0);
  const count = Math.max(...x, ...y) + 1;
  const points = new Array<number>(count).fill(0);
  for (const ly of y) for (const lx of x) points[Math.max(lx, ly)]!++;
  return { x, y, count, points };
}

/** Levels 0 and 1 (at most 5 × 5 points) are what a first pass on a subset of the samples covers (request.progressive.previewSamples). */
export const PREVIEW_PASS_LEVELS = 2;
