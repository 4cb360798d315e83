import { describe, expect, it } from 'vitest';
import { applyChunk, createGrid } from './grid.ts';
import { surfaceFigures } from './figures.ts';

const engine = { name: 'tfjs' as const, backend: 'wasm', version: '1' };

describe('compare figures', () => {
  it('θ*, the minimum and where, shares within 0.1 and 1.0 of the minimum', () => {
    const grid = createGrid({ min: -1, max: 1, num: 3 }, { min: -1, max: 1, num: 2 }, true);
    applyChunk(grid, { index: 0, iy: 0, ix: [0, 1, 2], level: 0, loss: [0.5, 0.3, 2], accuracy: [0.8, 0.9, 0.1], nonFinite: [], seconds: 0, engine });
    applyChunk(grid, { index: 1, iy: 1, ix: [0, 1, 2], level: 0, loss: [0.35, 1.2, null], accuracy: [0.85, 0.5, null], nonFinite: [], seconds: 0, engine });
    const figures = surfaceFigures(grid);
    // y = [-1, 1]: 0 is not on the grid, the nearest row (iy 0) stands in.
    expect(figures.origin).toMatchObject({ ix: 1, iy: 0, loss: 0.3, exact: false });
    expect(figures.minimum).toMatchObject({ ix: 1, iy: 0, alpha: 0, beta: -1, loss: 0.3, accuracy: 0.9 });
    // within 0.1 of 0.3: 0.3, 0.35 → 2 of 6; within 1.0: 0.5, 0.3, 0.35, 1.2 → 4 of 6 (the NaN never counts).
    expect(figures.shareWithin01).toBeCloseTo(2 / 6, 12);
    expect(figures.shareWithin1).toBeCloseTo(4 / 6, 12);
    expect(figures.nonFinite).toBe(1);
  });

  it('an all-NaN surface has no minimum', () => {
    const grid = createGrid({ min: -1, max: 1, num: 3 }, null, false);
    applyChunk(grid, { index: 0, iy: 0, ix: [0, 1, 2], level: 0, loss: [null, null, null], accuracy: null, nonFinite: [], seconds: 0, engine });
    const figures = surfaceFigures(grid);
    expect(figures.minimum).toBeNull();
    expect(figures.origin).toMatchObject({ ix: 1, exact: true, loss: null });
    expect(figures.shareWithin1).toBe(0);
  });
});
