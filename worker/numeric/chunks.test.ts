import { describe, expect, it } from 'vitest';
import { LINE_SEGMENTS, planChunks } from './chunks.ts';

describe('planChunks', () => {
  const grids: [number, number][] = [[1, 1], [2, 1], [15, 1], [16, 1], [17, 1], [51, 1], [401, 1], [2, 2], [51, 51], [7, 3], [3, 7], [401, 2]];
  for (const [nx, ny] of grids) {
    it(`covers every point of ${nx}×${ny} exactly once`, () => {
      const chunks = planChunks(nx, ny);
      const hits = new Uint8Array(nx * ny);
      chunks.forEach((c, k) => {
        expect(c.index).toBe(k);
        expect(c.ix1).toBeGreaterThan(c.ix0);
        for (let ix = c.ix0; ix < c.ix1; ix++) hits[c.iy * nx + ix]!++;
      });
      expect(Array.from(hits).every((h) => h === 1)).toBe(true);
    });
  }

  it('gives one full row per chunk in 2D', () => {
    expect(planChunks(5, 3)).toEqual([0, 1, 2].map((iy) => ({ index: iy, iy, ix0: 0, ix1: 5 })));
  });

  it('cuts a 1D line into min(16, nx) near-equal segments', () => {
    expect(planChunks(401, 1).length).toBe(LINE_SEGMENTS);
    expect(planChunks(5, 1).length).toBe(5);
    const sizes = planChunks(51, 1).map((c) => c.ix1 - c.ix0);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
  });
});
