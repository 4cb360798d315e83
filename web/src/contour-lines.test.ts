import { describe, expect, it } from 'vitest';
import { contourLines, labelBox, placeLabels, refineBilinear, traceLevel } from './contour-lines.ts';

/** f(ix, iy) sampled on an nx × ny grid of indices. */
function sample(nx: number, ny: number, f: (ix: number, iy: number) => number): Float64Array {
  const values = new Float64Array(nx * ny);
  for (let iy = 0; iy < ny; iy++) for (let ix = 0; ix < nx; ix++) values[iy * nx + ix] = f(ix, iy);
  return values;
}

const pointsOf = (points: ArrayLike<number>) => Array.from({ length: points.length / 2 }, (_, k) => [points[2 * k]!, points[2 * k + 1]!] as const);

describe('contour lines (marching squares on the bilinear interpolant)', () => {
  it('traces a plane f = ix as the straight line ix = level, one open polyline from the bottom border to the top', () => {
    const lines = traceLevel(sample(5, 4, (ix) => ix), 5, 4, 2.25);
    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(line!.closed).toBe(false);
    const points = pointsOf(line!.points);
    // One crossing per horizontal grid line (4 rows), in order along the line.
    expect(points.map(([x]) => x)).toEqual([2.25, 2.25, 2.25, 2.25]);
    expect(points.map(([, y]) => y).sort()).toEqual([0, 1, 2, 3]);
  });

  it('rings a cone: one closed polyline whose points lie at the level’s distance from the apex', () => {
    // f = distance to (10, 10) on a 21×21 grid; its bilinear interpolant departs from the cone by at most h²/(8r).
    const cone = sample(21, 21, (ix, iy) => Math.hypot(ix - 10, iy - 10));
    for (const factor of [1, 4]) {
      const lines = contourLines(cone, 21, 21, 6, factor);
      expect(lines).toHaveLength(1);
      expect(lines[0]!.closed).toBe(true);
      const points = pointsOf(lines[0]!.points);
      expect(points[0]).toEqual(points[points.length - 1]);
      for (const [x, y] of points) expect(Math.abs(Math.hypot(x - 10, y - 10) - 6)).toBeLessThan(1 / (8 * 6) + 1e-9);
      // It goes all the way round: every direction from the apex is met.
      const angles = points.map(([x, y]) => Math.atan2(y - 10, x - 10));
      expect(Math.max(...angles) - Math.min(...angles)).toBeGreaterThan(2 * Math.PI - 0.5);
    }
    // Refining follows the curve inside each cell: 4 times finer, about 4 times the points.
    expect(contourLines(cone, 21, 21, 6, 4)[0]!.points.length).toBeGreaterThan(3.5 * contourLines(cone, 21, 21, 6, 1)[0]!.points.length);
  });

  it('refines to the bilinear interpolant: the original points kept, midpoints the mean of their neighbours', () => {
    const values = Float64Array.from([0, 2, 4, 10]); // 2×2: (0,0)=0, (1,0)=2, (0,1)=4, (1,1)=10
    const fine = refineBilinear(values, 2, 2, 2);
    expect([fine.nx, fine.ny]).toEqual([3, 3]);
    expect(Array.from(fine.values)).toEqual([0, 1, 2, 2, 4, 6, 4, 7, 10]);
  });

  it('resolves a saddle cell by its centre value, so each branch stays on its side of the hyperbola', () => {
    // One cell, corners 1 (bottom left), 0, 0, 1 (top right): the bilinear interpolant is f = 1 − x − y + 2xy, whose level
    // set f = c is the hyperbola (2x − 1)(2y − 1) = 2c − 1. Above the centre value (½) the branches cut off the corners
    // at 1, below it those at 0: a chord of the wrong pairing would cross to the other side.
    for (const values of [Float64Array.of(1, 0, 0, 1), Float64Array.of(0, 1, 1, 0)]) {
      const sign = values[0] === 1 ? 1 : -1; // f(1 − x, y) swaps the corners: the sign of the right side flips
      for (const level of [0.4, 0.6]) {
        const lines = traceLevel(values, 2, 2, level);
        expect(lines).toHaveLength(2);
        for (const line of lines) {
          const [[x0, y0], [x1, y1]] = pointsOf(line.points);
          const [mx, my] = [(x0! + x1!) / 2, (y0! + y1!) / 2];
          expect(Math.sign((2 * mx - 1) * (2 * my - 1))).toBe(Math.sign(sign * (2 * level - 1)));
        }
      }
    }
  });

  it('leaves out cells that touch a missing point', () => {
    const values = sample(4, 3, (ix) => ix);
    values[1 * 4 + 1] = NaN;
    // The level 1.5 crosses only cells with the NaN corner (1, 1): nothing.
    expect(traceLevel(values, 4, 3, 1.5)).toEqual([]);
    // Refined, the NaN spreads to the refined points of those cells only.
    const fine = refineBilinear(values, 4, 3, 2);
    expect(Number.isNaN(fine.values[2 * 7 + 3])).toBe(true);
    expect(fine.values[2 * 7 + 5]).toBe(2.5);
    expect(contourLines(values, 4, 3, 2.5, 2).map((l) => l.closed)).toEqual([false]);
  });
});

describe('contour labels', () => {
  const measure = (text: string) => ({ width: 7 * text.length, height: 10 });
  const bounds = { x0: 0, y0: 0, x1: 400, y1: 400 };

  it('puts a label on the line, turned along it and never upside down', () => {
    // A straight line from right to left at 30° below the horizontal (drawn backwards on purpose).
    const points: number[] = [];
    for (let s = 0; s <= 200; s += 10) points.push(300 - s * Math.cos(Math.PI / 6), 100 + s * Math.sin(Math.PI / 6));
    const [label, ...rest] = placeLabels([{ points, text: '0.5' }], measure, { bounds });
    expect(rest).toEqual([]);
    expect(label!.text).toBe('0.5');
    // At the middle of the line, and on it.
    expect(label!.x).toBeCloseTo(300 - 100 * Math.cos(Math.PI / 6), 6);
    expect(label!.y).toBeCloseTo(100 + 100 * Math.sin(Math.PI / 6), 6);
    // Reading left to right: the line's direction turned by π into (−π/2, π/2].
    expect(label!.angle).toBeCloseTo(-Math.PI / 6, 9);
    expect([label!.width, label!.height]).toEqual([21, 10]);
  });

  it('labels a long line every `spacing` pixels and skips lines too short for their text', () => {
    const long = [10, 200, 390, 200];
    const short = [10, 50, 40, 50];
    const labels = placeLabels([{ points: short, text: '12.5' }, { points: long, text: '3' }], measure, { bounds, spacing: 100 });
    expect(labels.map((l) => l.text)).toEqual(['3', '3', '3']);
    expect(labels.map((l) => l.x)).toEqual([10 + 380 / 6, 10 + 380 / 2, 10 + (5 * 380) / 6]);
  });

  it('never overlaps two labels, a marker, or the plot border', () => {
    // Two parallel lines 4 px apart: room for one label between them, not two.
    const lines = [{ points: [20, 100, 380, 100], text: '1' }, { points: [20, 104, 380, 104], text: '2' }];
    const labels = placeLabels(lines, measure, { bounds, spacing: 1000 });
    expect(labels).toHaveLength(1);
    // A marker where the label would go pushes it off the line entirely (no other place on a one-label line).
    const marker = { x0: 190, y0: 90, x1: 210, y1: 110 };
    expect(placeLabels([lines[0]!], measure, { bounds, spacing: 1000, avoid: [marker] })).toEqual([]);
    // A line along the border: its label would stick out.
    expect(placeLabels([{ points: [20, 2, 380, 2], text: '1' }], measure, { bounds, spacing: 1000 })).toEqual([]);
    // Many crossing lines: whatever is placed is pairwise apart.
    const fan = Array.from({ length: 12 }, (_, k) => ({ points: [200, 200, 200 + 190 * Math.cos(k / 2), 200 + 190 * Math.sin(k / 2)], text: `${k}` }));
    const placed = placeLabels(fan, measure, { bounds, spacing: 50 });
    expect(placed.length).toBeGreaterThan(3);
    for (let a = 0; a < placed.length; a++) {
      for (let b = a + 1; b < placed.length; b++) {
        const [p, q] = [labelBox(placed[a]!), labelBox(placed[b]!)];
        expect(p.x0 < q.x1 && q.x0 < p.x1 && p.y0 < q.y1 && q.y0 < p.y1).toBe(false);
      }
    }
  });
});
