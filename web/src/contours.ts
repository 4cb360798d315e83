import { ticks } from 'd3-array';
import { contours as d3Contours } from 'd3-contour';
import type { ScaleOptions, ValueRange } from './scale.ts';
import { inverseTransform, transformValue } from './scale.ts';

export interface LevelSpec {
  min: number;
  max: number;
  step: number;
}

/** Most levels a spec may ask for, so a typo like 0:100:0.0001 cannot freeze the page. */
export const MAX_LEVELS = 200;

/**
 * Parses "min:max:step" (the reference's vmin/vmax/vlevel, in loss units). Empty or "auto" means
 * automatic levels (null). Throws a message naming the problem for anything else.
 */
export function parseLevelSpec(text: string): LevelSpec | null {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed === 'auto') return null;
  const parts = trimmed.split(':').map((part) => Number(part.trim()));
  if (parts.length !== 3 || parts.some((part) => !Number.isFinite(part))) {
    throw new Error(`levels: expected min:max:step (e.g. 0.1:10:0.5) or auto, got "${text}"`);
  }
  const [min, max, step] = parts;
  if (!(step > 0)) throw new Error('levels: step must be positive');
  if (!(max > min)) throw new Error('levels: max must be greater than min');
  if ((max - min) / step > MAX_LEVELS) throw new Error(`levels: at most ${MAX_LEVELS} levels`);
  return { min, max, step };
}

/** Levels of a spec: min, min+step, … below max (numpy arange, as the reference does). */
export function specLevels(spec: LevelSpec): number[] {
  const count = Math.ceil((spec.max - spec.min) / spec.step - 1e-9);
  return Array.from({ length: count }, (_, i) => spec.min + i * spec.step);
}

/** Mantissas of round levels, sparsest first: 1-2-5, then 1-1.5-2-3-5-7, then every 0.1·10^k step up to 10. */
const ROUND_MANTISSAS = [[1, 2, 5], [1, 1.5, 2, 3, 5, 7], [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 9]] as const;

/**
 * Automatic levels, in loss units, round so that contour labels read cleanly (the paper's Fig. 5
 * labels 0.5-apart levels): on a log scale the sparsest set of round mantissas × 10^k strictly
 * inside the displayed range that gives at least ⅔ of `count` levels (so they are about evenly
 * spaced in log(loss + ε)); on a linear scale, or where no such set has enough, d3's nice ticks.
 */
export function autoLevels(range: ValueRange, options: ScaleOptions, count = 12): number[] {
  const low = inverseTransform(range.min, options);
  const high = inverseTransform(range.max, options);
  // Round-off of exp(log(x + ε)) − ε must not let the range's own ends in.
  const tolerance = 1e-9 * (Math.abs(low) + Math.abs(high));
  const inside = (v: number) => v > low + tolerance && v < high - tolerance;
  if (options.scale === 'log' && high > 0) {
    const from = Math.floor(Math.log10(Math.max(low, high * 1e-12)));
    const to = Math.ceil(Math.log10(high));
    for (const mantissas of ROUND_MANTISSAS) {
      const levels: number[] = [];
      for (let k = from; k <= to; k++) for (const m of mantissas) levels.push(Number((m * 10 ** k).toPrecision(12)));
      const kept = levels.filter(inside);
      if (kept.length >= (2 * count) / 3) return kept;
    }
  }
  return ticks(low, high, count).filter(inside);
}

export interface Isoline {
  /** Level in loss units. */
  level: number;
  /** Level in the displayed scale (its height on the surface). */
  value: number;
  /** Line segments in fractional grid indices: [ix0, iy0, ix1, iy1, …]. */
  segments: Float32Array;
}

/**
 * Isolines of a displayed grid (NaN = missing) at the given loss levels, by d3-contour. d3 closes
 * every ring around the grid border and around missing points; those pieces are not isolines, so a
 * segment survives only when the grid cell it crosses has four valid corners.
 */
export function isolines(values: ArrayLike<number>, nx: number, ny: number, levels: readonly number[], options: ScaleOptions): Isoline[] {
  const generator = d3Contours().size([nx, ny]).smooth(true);
  const valid = (ix: number, iy: number) => ix >= 0 && iy >= 0 && ix < nx && iy < ny && !Number.isNaN(values[iy * nx + ix]);
  const cellIsComplete = (ix: number, iy: number) => valid(ix, iy) && valid(ix + 1, iy) && valid(ix, iy + 1) && valid(ix + 1, iy + 1);
  const result: Isoline[] = [];
  for (const level of levels) {
    if (options.clip !== null && level >= options.clip) continue;
    const value = transformValue(level, options);
    if (Number.isNaN(value)) continue;
    const polygons = generator.contour(values as unknown as number[], value);
    const segments: number[] = [];
    for (const polygon of polygons.coordinates) {
      for (const ring of polygon) {
        for (let k = 1; k < ring.length; k++) {
          // d3 puts the value of index i at coordinate i + 0.5.
          const ix0 = ring[k - 1][0] - 0.5;
          const iy0 = ring[k - 1][1] - 0.5;
          const ix1 = ring[k][0] - 0.5;
          const iy1 = ring[k][1] - 0.5;
          if (!cellIsComplete(Math.floor((ix0 + ix1) / 2), Math.floor((iy0 + iy1) / 2))) continue;
          segments.push(ix0, iy0, ix1, iy1);
        }
      }
    }
    if (segments.length > 0) result.push({ level, value, segments: Float32Array.from(segments) });
  }
  return result;
}
