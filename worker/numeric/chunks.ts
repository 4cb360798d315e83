/** Segments a 1D line is cut into, so a few workers can share it and progress is visible. */
export const LINE_SEGMENTS = 16;

export interface Chunk {
  /** Position in the plan; the chunk job id is built from it. */
  index: number;
  iy: number;
  ix0: number;
  /** Exclusive end column. */
  ix1: number;
}

/**
 * Work units of a grid: 2D → one chunk per row (iy, ix0 = 0, ix1 = nx); 1D (ny = 1) → contiguous
 * segments, min(16, nx) of them with sizes differing by at most one. index = position in the list.
 */
export function planChunks(nx: number, ny: number): Chunk[] {
  if (!Number.isInteger(nx) || nx < 1 || !Number.isInteger(ny) || ny < 1) throw new Error(`grid ${nx}×${ny} is not a positive size`);
  if (ny > 1) return Array.from({ length: ny }, (_, iy) => ({ index: iy, iy, ix0: 0, ix1: nx }));
  const segments = Math.min(LINE_SEGMENTS, nx);
  return Array.from({ length: segments }, (_, k) => ({
    index: k,
    iy: 0,
    ix0: Math.floor((k * nx) / segments),
    ix1: Math.floor(((k + 1) * nx) / segments),
  }));
}
