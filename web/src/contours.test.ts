import { describe, expect, it } from 'vitest';
import { autoLevels, isolines, parseLevelSpec, specLevels } from './contours.ts';

const linear = { scale: 'linear' as const, epsilon: 0.1, clip: null };

/** f(ix, iy) = ix on a 4×3 grid: every isoline is the vertical line ix = level. */
function ramp(nx: number, ny: number): Float32Array {
  const values = new Float32Array(nx * ny);
  for (let iy = 0; iy < ny; iy++) for (let ix = 0; ix < nx; ix++) values[iy * nx + ix] = ix;
  return values;
}

describe('contour levels', () => {
  it('parses min:max:step like the reference vmin/vmax/vlevel (arange, max excluded)', () => {
    expect(parseLevelSpec(' auto ')).toBeNull();
    expect(parseLevelSpec('')).toBeNull();
    const spec = parseLevelSpec('0.1:10:0.5');
    expect(spec).toEqual({ min: 0.1, max: 10, step: 0.5 });
    const levels = specLevels(spec!);
    expect(levels.length).toBe(20);
    expect(levels[19]).toBeCloseTo(9.6, 12);
    expect(specLevels({ min: 0, max: 1, step: 0.25 })).toEqual([0, 0.25, 0.5, 0.75]);
  });

  it('names the problem in a bad spec', () => {
    expect(() => parseLevelSpec('1:2')).toThrow(/min:max:step/);
    expect(() => parseLevelSpec('1:2:0')).toThrow(/step/);
    expect(() => parseLevelSpec('3:2:1')).toThrow(/max/);
    expect(() => parseLevelSpec('0:100:0.001')).toThrow(/at most/);
  });

  it('automatic levels are round numbers inside the range, about evenly spaced in log(loss + ε) on a log scale', () => {
    const log = { scale: 'log' as const, epsilon: 0.1, clip: null };
    // Loss from 0.06 to 50: 1-1.5-2-3-5-7 × 10^k, since 1-2-5 gives only 9 of the 14 asked for.
    const range = { min: Math.log(0.06 + 0.1), max: Math.log(50 + 0.1) };
    expect(autoLevels(range, log, 14)).toEqual([0.07, 0.1, 0.15, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 3, 5, 7, 10, 15, 20, 30]);
    // Few asked for: 1-2-5 suffices.
    expect(autoLevels(range, log, 9)).toEqual([0.1, 0.2, 0.5, 1, 2, 5, 10, 20]);
    // Strictly inside: a level at the range's end would trace the border.
    expect(autoLevels({ min: Math.log(0.1 + 0.1), max: Math.log(20 + 0.1) }, log, 6)).toEqual([0.2, 0.5, 1, 2, 5, 10]);
    // A narrow range falls back to nice linear ticks.
    expect(autoLevels({ min: Math.log(0.3 + 0.1), max: Math.log(0.36 + 0.1) }, log, 5)).toEqual([0.31, 0.32, 0.33, 0.34, 0.35]);
    expect(autoLevels({ min: 0, max: 1 }, linear, 4)).toEqual([0.2, 0.4, 0.6, 0.8]);
  });

});

describe('isolines', () => {
  it('places a level where the grid interpolates to it, without the border pieces d3 closes rings with', () => {
    const [line] = isolines(ramp(4, 3), 4, 3, [1.5], linear);
    expect(line.level).toBe(1.5);
    const xs = line.segments.filter((_, i) => i % 2 === 0);
    const ys = line.segments.filter((_, i) => i % 2 === 1);
    for (const x of xs) expect(x).toBeCloseTo(1.5, 6);
    expect(Math.min(...ys)).toBe(0);
    expect(Math.max(...ys)).toBe(2);
    // Two cells high: two segments.
    expect(line.segments.length).toBe(8);
  });

  it('leaves cells with a hole or a pending point out', () => {
    const values = ramp(4, 3);
    values[1 * 4 + 1] = NaN;
    const [line] = isolines(values, 4, 3, [1.5], linear);
    // Both cells right of the NaN at (1, 1) touch it: nothing remains.
    expect(line).toBeUndefined();
    const [other] = isolines(values, 4, 3, [2.5], linear);
    expect(other.segments.length).toBe(8);
  });

  it('drops levels at or above the clip and levels outside the data', () => {
    expect(isolines(ramp(4, 3), 4, 3, [2.5], { ...linear, clip: 2 })).toEqual([]);
    expect(isolines(ramp(4, 3), 4, 3, [10], linear)).toEqual([]);
  });
});
