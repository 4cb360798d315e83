import { describe, expect, it } from 'vitest';
import type { ChunkValues, SurfaceResult } from '../../contract/index.ts';
import { FINITE, NON_FINITE, PENDING, applyChunk, createGrid, gridFromResult, linspace, nearestIndex, readPoint } from './grid.ts';

const engine = { name: 'tfjs' as const, backend: 'wasm', version: '4.22.0' };
const chunk = (iy: number, ix0: number, loss: (number | null)[], accuracy: (number | null)[] | null = null): ChunkValues => ({
  index: 0, iy, ix0, loss, accuracy, nonFinite: [], seconds: 0.1, engine,
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
});
