import { describe, expect, it } from 'vitest';
import { bilinear, trajectoryPath } from './trajectory.ts';

describe('trajectoryPath', () => {
  const grid = { x: Float64Array.of(-1, 0, 1), y: Float64Array.of(-2, 0, 2), nx: 3, ny: 3 };

  it('maps (α, β) of the cos projection onto fractional grid indices and flags points outside the grid', () => {
    const path = trajectoryPath({ epochs: [0, 5, 10], cos: [[-1, -2], [0.5, 1], [3, 0]], leastSquares: [[0, 0], [0, 0], [0, 0]] }, grid);
    expect(path.map((p) => [p.epoch, p.u, p.v, p.inside])).toEqual([[0, 0, 0, true], [5, 1.5, 1.5, true], [10, 4, 1, false]]);
  });

  it('labels at most 12 epochs, always the first and the last', () => {
    const count = 40;
    const trajectory = { epochs: Array.from({ length: count }, (_, i) => i), cos: Array.from({ length: count }, () => [0, 0] as [number, number]), leastSquares: [] };
    const labelled = trajectoryPath(trajectory, grid).filter((p) => p.labelled).map((p) => p.epoch);
    expect(labelled.length).toBeLessThanOrEqual(12 + 1);
    expect(labelled[0]).toBe(0);
    expect(labelled.at(-1)).toBe(count - 1);
  });
});

describe('bilinear', () => {
  it('is exact on a plane and on the grid points', () => {
    const nx = 3;
    const ny = 2;
    const field = Array.from({ length: nx * ny }, (_, k) => 2 * (k % nx) + 3 * Math.floor(k / nx) + 1);
    expect(bilinear(field, 1, 0, nx, ny, 1.25, 0.5)).toBeCloseTo(2 * 1.25 + 3 * 0.5 + 1, 12);
    expect(bilinear(field, 1, 0, nx, ny, 2, 1)).toBe(2 * 2 + 3 + 1);
  });
});
