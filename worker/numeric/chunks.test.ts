import { describe, expect, it } from 'vitest';
import { axisLevels, gridLevels } from '../../contract/refinement.ts';
import { LEVEL_CHUNKS, LINE_SEGMENTS, planChunks, planRefinement, type Chunk } from './chunks.ts';

/** How many chunks hold each point of an nx × ny grid (row-major). */
function hits(chunks: Chunk[], nx: number, ny: number): number[] {
  const counts = new Array<number>(nx * ny).fill(0);
  for (const c of chunks) for (const ix of c.ix) counts[c.iy * nx + ix]!++;
  return counts;
}

describe('planChunks (row by row)', () => {
  const grids: [number, number][] = [[1, 1], [2, 1], [15, 1], [16, 1], [17, 1], [51, 1], [401, 1], [2, 2], [51, 51], [7, 3], [3, 7], [401, 2]];
  for (const [nx, ny] of grids) {
    it(`covers every point of ${nx}×${ny} exactly once`, () => {
      const chunks = planChunks(nx, ny);
      chunks.forEach((c, k) => {
        expect(c.index).toBe(k);
        expect(c.ix.length).toBeGreaterThan(0);
        expect(c).toMatchObject({ level: 0, previewSamples: null });
      });
      expect(hits(chunks, nx, ny).every((h) => h === 1)).toBe(true);
    });
  }

  it('gives one full row per chunk in 2D', () => {
    expect(planChunks(5, 3)).toEqual([0, 1, 2].map((iy) => ({ index: iy, iy, ix: [0, 1, 2, 3, 4], level: 0, previewSamples: null })));
  });

  it('cuts a 1D line into min(16, nx) near-equal contiguous segments', () => {
    expect(planChunks(401, 1).length).toBe(LINE_SEGMENTS);
    expect(planChunks(5, 1).length).toBe(5);
    const segments = planChunks(51, 1);
    const sizes = segments.map((c) => c.ix.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    for (const c of segments) expect(c.ix).toEqual(c.ix.map((_, k) => c.ix[0]! + k));
  });
});

describe('refinement levels (bisection of each axis)', () => {
  it('puts the ends and the middle in level 0, then halves the gaps (hand-computed)', () => {
    // n = 9: 8/2 = 4 → {0, 4, 8}; 8/4 → {2, 6}; 8/8 → {1, 3, 5, 7}.
    expect(axisLevels(9)).toEqual([0, 2, 1, 2, 0, 2, 1, 2, 0]);
    expect(axisLevels(5)).toEqual([0, 1, 0, 1, 0]);
    // n = 11: 10/2 = 5; 10/4 = 2.5 → 3, 7.5 → 8; 10/8: 1.25 → 1, 3.75 → 4, 6.25 → 6, 8.75 → 9; then 2 and 7.
    expect(axisLevels(11)).toEqual([0, 2, 3, 1, 2, 0, 2, 3, 1, 2, 0]);
    // Round half up: n = 4 splits 0…3 at 1.5 → 2.
    expect(axisLevels(4)).toEqual([0, 1, 0, 0]);
    expect(axisLevels(2)).toEqual([0, 0]);
    expect(axisLevels(1)).toEqual([0]);
    const fiftyOne = axisLevels(51);
    expect(fiftyOne.flatMap((level, i) => (level === 0 ? [i] : []))).toEqual([0, 25, 50]);
    expect(fiftyOne.flatMap((level, i) => (level === 1 ? [i] : []))).toEqual([13, 38]);
    expect(Math.max(...fiftyOne)).toBe(5);
  });

  it('counts the points of each level of a grid: 51×51 is 3×3, then 5×5, 9×9, 17×17, 33×33, all', () => {
    const levels = gridLevels(51, 51, true);
    expect(levels.count).toBe(6);
    expect(levels.points).toEqual([9, 25 - 9, 81 - 25, 289 - 81, 1089 - 289, 2601 - 1089]);
    // A 1D line (and the splits of one: a row each) refines x only.
    expect(gridLevels(9, 2, false)).toEqual({ x: axisLevels(9), y: [0, 0], count: 3, points: [6, 4, 8] });
  });
});

describe('planRefinement (coarse to fine)', () => {
  // Non-square, sides not divisible by 4, 1D lines, one-point axes.
  const grids: [number, number, boolean][] = [[51, 51, true], [21, 21, true], [7, 3, true], [3, 7, true], [10, 6, true], [13, 2, true], [2, 2, true], [401, 3, true],
    [51, 1, false], [6, 1, false], [1, 1, false], [41, 2, false]];
  for (const [nx, ny, twoD] of grids) {
    it(`${nx}×${ny}${twoD ? '' : ' (1D)'}: levels disjoint, covering every point once, queued coarse to fine, each known set a product grid`, () => {
      const levels = gridLevels(nx, ny, twoD);
      const chunks = planRefinement(levels, null);
      chunks.forEach((c, k) => expect(c.index).toBe(k));
      expect(hits(chunks, nx, ny).every((h) => h === 1)).toBe(true);
      for (const c of chunks) {
        expect(c.ix).toEqual([...c.ix].sort((a, b) => a - b));
        for (const ix of c.ix) expect(Math.max(levels.x[ix]!, levels.y[c.iy]!)).toBe(c.level);
      }
      const order = chunks.map((c) => c.level);
      expect(order).toEqual([...order].sort((a, b) => a - b));
      for (let level = 0; level < levels.count; level++) {
        const inLevel = chunks.filter((c) => c.level === level);
        expect(inLevel.reduce((n, c) => n + c.ix.length, 0)).toBe(levels.points[level]);
        // Shared by every worker: as many chunks as points, up to 16.
        expect(inLevel.length).toBeGreaterThanOrEqual(Math.min(LEVEL_CHUNKS, levels.points[level]!));
        // Longest first.
        const sizes = inLevel.map((c) => c.ix.length);
        expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
        // After levels 0 … level, the computed points are every (column, row) pair of the axes' points up to it.
        const known = new Set(chunks.filter((c) => c.level <= level).flatMap((c) => c.ix.map((ix) => c.iy * nx + ix)));
        const columns = levels.x.flatMap((l, ix) => (l <= level ? [ix] : []));
        const rows = levels.y.flatMap((l, iy) => (l <= level ? [iy] : []));
        expect(known.size).toBe(columns.length * rows.length);
        for (const iy of rows) for (const ix of columns) expect(known.has(iy * nx + ix)).toBe(true);
      }
    });
  }

  it('queues a first pass of levels 0 and 1 on the preview samples before level 0, the same points again', () => {
    const levels = gridLevels(9, 5, true);
    const chunks = planRefinement(levels, 64);
    const preview = chunks.filter((c) => c.previewSamples !== null);
    const own = chunks.filter((c) => c.previewSamples === null);
    expect(chunks.slice(0, preview.length)).toEqual(preview);
    expect(preview.every((c) => c.previewSamples === 64 && c.level <= 1)).toBe(true);
    // Levels 0 and 1 of 9×5: columns {0, 4, 8} then {2, 6}, rows {0, 2, 4} then {1, 3}: a 5 × 5 preview.
    expect(hits(preview, 9, 5).filter((h) => h === 1).length).toBe(25);
    expect(hits(preview, 9, 5).every((h, at) => h === (levels.x[at % 9]! <= 1 && levels.y[Math.floor(at / 9)]! <= 1 ? 1 : 0))).toBe(true);
    expect(hits(own, 9, 5).every((h) => h === 1)).toBe(true);
    expect(own.map((c) => ({ ...c, index: 0 }))).toEqual(planRefinement(levels, null).map((c) => ({ ...c, index: 0 })));
  });
});
