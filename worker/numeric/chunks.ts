import { PREVIEW_PASS_LEVELS, type GridLevels } from '../../contract/refinement.ts';

/** Segments a 1D line is cut into, so a few workers can share it and progress is visible. */
export const LINE_SEGMENTS = 16;
/** A refinement level is cut into at least this many chunks (when it has as many points), so every worker shares even the coarse levels. */
export const LEVEL_CHUNKS = 16;

export interface Chunk {
  /** Position in the plan, which is the order chunks are queued in; the chunk job id is built from it. */
  index: number;
  iy: number;
  /** Columns of row iy, ascending. */
  ix: number[];
  /** Refinement level of every point of the chunk (0 when the surface is computed row by row). */
  level: number;
  /** A first pass on this many of the surface's samples (request.progressive.previewSamples), or null: the surface's own values. */
  previewSamples: number | null;
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);

/** `columns` cut into `pieces` consecutive runs whose sizes differ by at most one. */
function cut(columns: number[], pieces: number): number[][] {
  return Array.from({ length: pieces }, (_, k) => columns.slice(Math.floor((k * columns.length) / pieces), Math.floor(((k + 1) * columns.length) / pieces)));
}

/**
 * Row by row (progressive refinement off): 2D → one chunk per row; 1D (ny = 1) → contiguous
 * segments, min(16, nx) of them with sizes differing by at most one.
 */
export function planChunks(nx: number, ny: number): Chunk[] {
  if (!Number.isInteger(nx) || nx < 1 || !Number.isInteger(ny) || ny < 1) throw new Error(`grid ${nx}×${ny} is not a positive size`);
  const runs = ny > 1 ? range(0, ny).map((iy) => ({ iy, ix: range(0, nx) })) : cut(range(0, nx), Math.min(LINE_SEGMENTS, nx)).map((ix) => ({ iy: 0, ix }));
  return runs.map((run, index) => ({ index, ...run, level: 0, previewSamples: null }));
}

/**
 * Coarse to fine (contract/refinement.ts): the chunks of level 0, then of level 1, …, so workers
 * take whole levels in turn. A chunk is part of one row's points of one level; a level of P points
 * is cut into runs of at most max(1, ⌊P / 16⌋) points, so even its first levels are shared by every
 * worker, and within a level the longest runs go first, so the last to finish are the shortest.
 * Every point is in exactly one of these chunks. With `previewSamples`, the chunks of levels 0 and
 * 1 come first once more, flagged to be evaluated on that many samples: a preview the surface's own
 * values then replace.
 */
export function planRefinement(levels: GridLevels, previewSamples: number | null): Chunk[] {
  const byLevel = Array.from({ length: levels.count }, (_, level) => {
    const longest = Math.max(1, Math.floor(levels.points[level]! / LEVEL_CHUNKS));
    const runs: { iy: number; ix: number[] }[] = [];
    levels.y.forEach((rowLevel, iy) => {
      const columns = levels.x.flatMap((columnLevel, ix) => (Math.max(columnLevel, rowLevel) === level ? [ix] : []));
      if (columns.length > 0) for (const ix of cut(columns, Math.ceil(columns.length / longest))) runs.push({ iy, ix });
    });
    // Array sort is stable: equal runs keep their row order.
    return runs.sort((a, b) => b.ix.length - a.ix.length).map((run) => ({ ...run, level }));
  });
  const preview = previewSamples === null ? [] : byLevel.slice(0, PREVIEW_PASS_LEVELS).flat().map((chunk) => ({ ...chunk, previewSamples }));
  return [...preview, ...byLevel.flat().map((chunk) => ({ ...chunk, previewSamples: null }))].map((chunk, index) => ({ index, ...chunk }));
}
