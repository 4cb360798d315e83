import { describe, expect, it } from 'vitest';
import { applyChunk, createGrid, previewGrid, PREVIEW_WASH } from './grid.ts';
import { writeColor } from './colormap.ts';
import { colormapTable } from './colormap.ts';
import { PENDING_GREY, buildHeightfield, coarseIndex, flatPositions, indexToWorld, isolinePositions, worldToIndex } from './heightfield.ts';

const engine = { name: 'tfjs' as const, backend: 'wasm', version: '1' };
const viridis = colormapTable('viridis', 64);

function partialGrid() {
  // 3 columns × 3 rows; row 0 computed with a NaN at ix = 2, row 1 computed, row 2 pending.
  const grid = createGrid({ min: -1, max: 1, num: 3 }, { min: -1, max: 1, num: 3 }, false);
  applyChunk(grid, { index: 0, iy: 0, ix: [0, 1, 2], level: 0, loss: [1, 2, null], accuracy: null, nonFinite: [], seconds: 0, engine });
  applyChunk(grid, { index: 1, iy: 1, ix: [0, 1, 2], level: 0, loss: [3, 4, 5], accuracy: null, nonFinite: [], seconds: 0, engine });
  return grid;
}

describe('heightfield', () => {
  it('maps grid to world linearly and back', () => {
    expect(indexToWorld(0, 51)).toBe(-1);
    expect(indexToWorld(25, 51)).toBe(0);
    expect(indexToWorld(50, 51)).toBe(1);
    expect(worldToIndex(0.5, 5)).toBe(3);
  });

  it('heights follow the range; a hole leaves its cells open; pending cells go to the flat grey mesh', () => {
    const grid = partialGrid();
    const buffers = buildHeightfield(grid, grid.loss, { min: 1, max: 5 }, viridis);
    // Point (ix 1, iy 1) has loss 4 → height 0.75.
    expect(buffers.positions[(1 * 3 + 1) * 3 + 2]).toBeCloseTo(0.75, 6);
    expect(buffers.positions[(1 * 3 + 1) * 3]).toBe(0);
    // Cells: (0,0) finite, (1,0) touches the NaN at (2,0) → hole; (0,1),(1,1) touch pending row 2.
    expect(buffers.surfaceIndexCount).toBe(6);
    expect(Array.from(buffers.surfaceIndex.slice(0, 6))).toEqual([0, 1, 4, 0, 4, 3]);
    expect(buffers.pendingIndexCount).toBe(12);
    // Pending points are grey and at z = 0, never spikes.
    expect(Array.from(buffers.colors.slice(7 * 3, 7 * 3 + 3))).toEqual([PENDING_GREY, PENDING_GREY, PENDING_GREY].map(Math.fround));
    expect(buffers.positions[7 * 3 + 2]).toBe(0);
    expect(buffers.positions[2 * 3 + 2]).toBe(0);
  });

  it('draws a preview at the pending points: heights from its values, colours washed towards the pending grey', () => {
    const shown = previewGrid(partialGrid(), null);
    const buffers = buildHeightfield(shown, shown.loss, { min: 1, max: 5 }, viridis);
    // Row 2 takes row 1's values (beyond the last computed row); (2, 0) stays a hole, so only the cells on row 1–2 are added.
    expect(buffers.pendingIndexCount).toBe(0);
    expect(buffers.surfaceIndexCount).toBe(6 * 3);
    expect(buffers.positions[(2 * 3 + 1) * 3 + 2]).toBeCloseTo(0.75, 6);
    const vivid = new Float32Array(3);
    writeColor(viridis, 0.75, vivid, 0);
    const washed = Array.from(vivid, (c) => Math.fround(c + (PENDING_GREY - c) * PREVIEW_WASH));
    Array.from(buffers.colors.slice((2 * 3 + 1) * 3, (2 * 3 + 1) * 3 + 3)).forEach((c, k) => expect(c).toBeCloseTo(washed[k]!, 6));
    // A computed point keeps its colour.
    Array.from(buffers.colors.slice((1 * 3 + 1) * 3, (1 * 3 + 1) * 3 + 3)).forEach((c, k) => expect(c).toBeCloseTo(vivid[k]!, 6));
  });

  it('reuses its buffers for the same grid shape', () => {
    const grid = partialGrid();
    const first = buildHeightfield(grid, grid.loss, { min: 1, max: 5 }, viridis);
    applyChunk(grid, { index: 2, iy: 2, ix: [0, 1, 2], level: 0, loss: [1, 1, 1], accuracy: null, nonFinite: [], seconds: 0, engine });
    const second = buildHeightfield(grid, grid.loss, { min: 1, max: 5 }, viridis, first);
    expect(second.positions).toBe(first.positions);
    expect(second.pendingIndexCount).toBe(0);
    expect(second.surfaceIndexCount).toBe(18);
  });

  it('flat positions and isoline placement', () => {
    expect(Array.from(flatPositions(2, 2))).toEqual([-1, -1, 0, 1, -1, 0, -1, 1, 0, 1, 1, 0]);
    const lines = [{ value: 3, segments: Float32Array.of(0, 0, 2, 2) }];
    expect(Array.from(isolinePositions(lines, 3, 3, { min: 1, max: 5 }, { lift: 0.01 }))).toEqual([-1, -1, 0.51, 1, 1, 0.51].map(Math.fround));
    expect(Array.from(isolinePositions(lines, 3, 3, { min: 1, max: 5 }, { fixedZ: -0.2 }))[2]).toBeCloseTo(-0.2, 6);
  });
});

describe('coarse heightfield', () => {
  it('covers the grid with stride-wide cells, the last ones narrower, and skips cells with a hole', () => {
    const grid = createGrid({ min: -1, max: 1, num: 6 }, { min: -1, max: 1, num: 6 }, false);
    for (let iy = 0; iy < 6; iy++) applyChunk(grid, { index: iy, iy, ix: [0, 1, 2, 3, 4, 5], level: 0, loss: [1, 2, 3, 4, 5, 6], accuracy: null, nonFinite: [], seconds: 0, engine });
    const full = coarseIndex(grid, grid.loss, 2);
    // Starts 0, 2, 4 on each axis: 9 cells, the last ending at index 5.
    expect(full.count).toBe(9 * 6);
    expect(Array.from(full.index.slice(0, 6))).toEqual([0, 2, 14, 0, 14, 12]);
    expect(Array.from(full.index.slice(2 * 6, 3 * 6))).toEqual([4, 5, 17, 4, 17, 16]);
    grid.loss[2 * 6 + 2] = NaN;
    grid.state[2 * 6 + 2] = 2;
    // (2, 2) is a corner of four coarse cells.
    expect(coarseIndex(grid, grid.loss, 2, full.index).count).toBe(5 * 6);
  });
});
