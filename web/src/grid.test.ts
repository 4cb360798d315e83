import { describe, expect, it } from 'vitest';
import type { ChunkValues, SurfaceResult } from '../../contract/index.ts';
import { FINITE, NON_FINITE, PENDING, PREVIEW, applyChunk, createGrid, gridFromResult, linspace, nearestIndex, previewGrid, readPoint, surfaceMarkers } from './grid.ts';

const engine = { name: 'tfjs' as const, backend: 'wasm', version: '4.22.0' };
const chunk = (iy: number, ix0: number, loss: (number | null)[], accuracy: (number | null)[] | null = null): ChunkValues => ({
  index: 0, iy, ix: loss.map((_, k) => ix0 + k), level: 0, loss, accuracy, nonFinite: [], seconds: 0.1, engine,
});

describe('grid', () => {
  it('linspace ends exactly at max, like the contract', () => {
    const values = linspace({ min: -1, max: 1, num: 21 });
    expect(values[0]).toBe(-1);
    expect(values[10]).toBeCloseTo(0, 15);
    expect(values[20]).toBe(1);
  });

  it('starts all NaN and pending, and fills row runs from chunks at [iy][ix]', () => {
    const grid = createGrid({ min: -1, max: 1, num: 5 }, { min: 0, max: 2, num: 3 }, true);
    expect(grid.nx).toBe(5);
    expect(grid.ny).toBe(3);
    expect(Array.from(grid.loss).every(Number.isNaN)).toBe(true);
    expect(applyChunk(grid, chunk(2, 1, [0.5, null, 1.5], [0.9, null, 0.1]))).toBe(3);
    expect(grid.loss[2 * 5 + 1]).toBe(0.5);
    expect(grid.state[2 * 5 + 2]).toBe(NON_FINITE);
    expect(Number.isNaN(grid.loss[2 * 5 + 2])).toBe(true);
    expect(grid.state[2 * 5 + 3]).toBe(FINITE);
    expect(grid.state[0]).toBe(PENDING);
    expect(grid.computed).toBe(3);
    // A replayed chunk (SSE reconnect) does not count twice.
    expect(applyChunk(grid, chunk(2, 1, [0.5, null, 1.5]))).toBe(0);
    expect(readPoint(grid, 3, 2)).toMatchObject({ alpha: 0.5, beta: 2, loss: 1.5 });
  });

  it('keeps the standard errors of chunks and results, unknown (null) where a surface has none', () => {
    const grid = createGrid({ min: -1, max: 1, num: 3 }, null, false);
    applyChunk(grid, { ...chunk(0, 0, [1, 2]), lossStdError: [0.1, null] });
    applyChunk(grid, chunk(0, 2, [3]));
    expect([0, 1, 2].map((ix) => readPoint(grid, ix, 0).lossStdError)).toEqual([0.1, null, null]);
    const result = { kind: '1d', axes: { x: [0, 1], y: null }, shape: [1, 2], loss: [[1, 2]], accuracy: null, lossStdError: [[0.5, 0.25]] } as unknown as SurfaceResult;
    expect(readPoint(gridFromResult(result), 1, 0).lossStdError).toBe(0.25);
    expect(readPoint(gridFromResult({ ...result, lossStdError: undefined }), 1, 0).lossStdError).toBeNull();
  });

  it('rejects chunks that do not fit the grid', () => {
    const grid = createGrid({ min: -1, max: 1, num: 4 }, null, false);
    expect(grid.kind).toBe('1d');
    expect(() => applyChunk(grid, chunk(0, 2, [1, 2, 3]))).toThrow(/outside/);
    expect(() => applyChunk(grid, chunk(1, 0, [1]))).toThrow(/outside/);
  });

  it('previews the points not computed yet bilinearly between the computed ones, without touching the grid', () => {
    // Level 0 of a 5×3 grid: columns 0, 2, 4 of rows 0 and 2 hold f = ix + 10·iy (linear, so its bilinear interpolation is exact).
    const grid = createGrid({ min: -1, max: 1, num: 5 }, { min: -1, max: 1, num: 3 }, true);
    for (const iy of [0, 2]) applyChunk(grid, { ...chunk(iy, 0, [0, 2, 4].map((ix) => ix + 10 * iy), [0.5, 0.5, 0.5]), ix: [0, 2, 4] });
    const shown = previewGrid(grid, null);
    expect(Array.from(shown.loss)).toEqual([0, 1, 2, 3, 4, 10, 11, 12, 13, 14, 20, 21, 22, 23, 24]);
    expect(Array.from(shown.state)).toEqual([1, 3, 1, 3, 1, 3, 3, 3, 3, 3, 1, 3, 1, 3, 1].map((s) => (s === 1 ? FINITE : PREVIEW)));
    expect(shown.accuracy![7]).toBe(0.5);
    expect(grid.state[7]).toBe(PENDING);
    expect(Number.isNaN(grid.loss[7])).toBe(true);
    expect(readPoint(shown, 2, 1)).toMatchObject({ state: PREVIEW, loss: 12 });
  });

  it('holds the outermost value beyond the last computed point, skips holes, and draws nothing before anything is computed', () => {
    const grid = createGrid({ min: -1, max: 1, num: 5 }, null, false);
    expect(previewGrid(grid, null)).toBe(grid);
    applyChunk(grid, chunk(0, 1, [2, null, 6]));
    const shown = previewGrid(grid, null);
    // Column 2 is not finite: a hole, and no anchor for column 0 or 4.
    expect(shown.state[2]).toBe(NON_FINITE);
    expect([shown.loss[0], shown.loss[4]]).toEqual([2, 6]);
    expect(Number.isNaN(shown.loss[2])).toBe(true);
  });

  it('draws a sample-subset preview where nothing is computed, and the computed value where one is', () => {
    const grid = createGrid({ min: -1, max: 1, num: 3 }, null, true);
    const subset = createGrid({ min: -1, max: 1, num: 3 }, null, true);
    applyChunk(subset, chunk(0, 0, [1, 5, 3], [0.1, 0.2, 0.3]));
    applyChunk(grid, chunk(0, 1, [4], [0.9]));
    const shown = previewGrid(grid, subset);
    expect(Array.from(shown.loss)).toEqual([1, 4, 3]);
    expect(Array.from(shown.accuracy!)).toEqual([0.1, 0.9, 0.3]);
    expect(Array.from(shown.state)).toEqual([PREVIEW, FINITE, PREVIEW]);
  });

  it('reads a result with nx ≠ ny in [iy][ix] order', () => {
    const result = {
      id: 's', kind: '2d', axes: { x: [-1, 0, 1], y: [-2, 2] }, shape: [2, 3],
      loss: [[1, 2, 3], [4, null, 6]], accuracy: null, nonFinite: [{ ix: 1, iy: 1, value: 'NaN' }],
    } as unknown as SurfaceResult;
    const grid = gridFromResult(result);
    expect(readPoint(grid, 2, 0)).toMatchObject({ alpha: 1, beta: -2, loss: 3 });
    expect(readPoint(grid, 0, 1)).toMatchObject({ alpha: -1, beta: 2, loss: 4 });
    expect(grid.state[4]).toBe(NON_FINITE);
    expect(nearestIndex(grid.x, 0.4)).toBe(1);
  });

  it('labels θ* and the minimum on the sides of their dots away from each other', () => {
    /** A 5×5 grid over [−2, 2]² (θ* at index 2, 2) whose lowest loss is at (ix, iy). */
    const markersWithMinimumAt = (ix: number, iy: number) => {
      const grid = createGrid({ min: -2, max: 2, num: 5 }, { min: -2, max: 2, num: 5 }, true);
      for (let row = 0; row < 5; row++) applyChunk(grid, chunk(row, 0, [0, 1, 2, 3, 4].map((col) => (col === ix && row === iy ? 0.1 : 1 + col + row))));
      return surfaceMarkers(grid).map(({ label, labelSide }) => ({ label, ...labelSide }));
    };
    // Minimum up and right of θ*: θ*'s label below left, the minimum's above right.
    expect(markersWithMinimumAt(3, 3)).toEqual([{ label: 'θ*', right: false, above: false }, { label: 'min', right: true, above: true }]);
    // Down and left: θ*'s above right, the minimum's below left.
    expect(markersWithMinimumAt(1, 1)).toEqual([{ label: 'θ*', right: true, above: true }, { label: 'min', right: false, above: false }]);
    // On θ*'s row, to its right: θ*'s above left, the minimum's below right.
    expect(markersWithMinimumAt(4, 2)).toEqual([{ label: 'θ*', right: false, above: true }, { label: 'min', right: true, above: false }]);
    expect(markersWithMinimumAt(2, 2)).toEqual([{ label: 'θ* = min', right: true, above: true }]);
  });
});
