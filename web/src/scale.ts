import { ticks } from 'd3-array';

/** How loss values become heights and colors: optional clip at a maximum loss, then linear or log. */
export interface ScaleOptions {
  scale: 'linear' | 'log';
  /** Offset of the log scale, log(loss + epsilon); the reference's --log uses 0.1. Default 0.1. */
  epsilon: number;
  /** Losses above this are drawn at this value (the reference's zmax); null = no clip. */
  clip: number | null;
}

/** Loss → displayed value; NaN stays NaN so holes remain holes. */
export function transformValue(loss: number, options: ScaleOptions): number {
  if (!Number.isFinite(loss)) return NaN;
  const clipped = options.clip !== null && loss > options.clip ? options.clip : loss;
  if (options.scale === 'linear') return clipped;
  const shifted = clipped + options.epsilon;
  return shifted > 0 ? Math.log(shifted) : NaN;
}

/** Displayed value → loss (for tick labels and color-bar labels). */
export function inverseTransform(value: number, options: ScaleOptions): number {
  return options.scale === 'linear' ? value : Math.exp(value) - options.epsilon;
}

export function transformGrid(values: ArrayLike<number>, options: ScaleOptions): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = transformValue(values[i], options);
  return out;
}

export interface ValueRange {
  min: number;
  max: number;
}

/** Finite extent over one or several displayed grids (a shared range in the compare view); null when nothing is finite. */
export function finiteRange(grids: readonly ArrayLike<number>[]): ValueRange | null {
  let min = Infinity;
  let max = -Infinity;
  for (const values of grids) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  if (min > max) return null;
  // A flat surface still needs a non-empty range to map heights and colors.
  if (min === max) return { min: min - 0.5, max: max + 0.5 };
  return { min, max };
}

/** Position of a displayed value in the range, 0 at min and 1 at max (clamped). */
export function normalize(value: number, range: ValueRange): number {
  const t = (value - range.min) / (range.max - range.min);
  return t < 0 ? 0 : t > 1 ? 1 : t;
}

/**
 * Tick values in loss units for an axis or color bar over a displayed range: d3 "nice" ticks on a
 * linear scale; 1-2-5 × 10^k on a log scale (only powers of ten when those are too many).
 */
export function lossTicks(range: ValueRange, options: ScaleOptions, count = 5): number[] {
  const low = inverseTransform(range.min, options);
  const high = inverseTransform(range.max, options);
  if (options.scale === 'linear') return ticks(low, high, count);
  const inside = (v: number) => v >= low - 1e-12 && v <= high + 1e-12;
  // Down to 0 (within rounding of exp(log ε) − ε) a log(x + ε) scale has no decades below ε: ticks start at the first power of ten above ε, with 0 itself.
  const fromZero = low <= options.epsilon * 1e-6;
  const zero = fromZero ? [0] : [];
  const candidates = (mantissas: number[]) => {
    const values: number[] = [...zero];
    const from = !fromZero ? Math.floor(Math.log10(Math.max(low, 1e-12))) : Math.ceil(Math.log10(Math.max(options.epsilon, 1e-12)));
    const to = Math.ceil(Math.log10(Math.max(high, 1e-12)));
    for (let k = from; k <= to; k++) for (const m of mantissas) values.push(Number((m * 10 ** k).toPrecision(12)));
    return values.filter(inside);
  };
  const dense = candidates([1, 2, 5]);
  if (dense.length <= count + 3) return dense.length >= 2 ? dense : ticks(low, high, count);
  const sparse = candidates([1]);
  return sparse.length >= 2 ? sparse : ticks(low, high, count);
}

/** The log axis's extent: the positive data padded by 15 % each way (uPlot's default snaps to whole decades). */
export function logRange(min: number | null, max: number | null): [number, number] {
  if (min === null || max === null || !(max > 0)) return [0.1, 10];
  const low = min > 0 ? min : max / 100;
  return low === max ? [low / 2, max * 2] : [low / 1.15, max * 1.15];
}

/** Round loss ticks (1-2-5 × 10^k, at least two) on a log axis from `min` to `max`. */
export function logTicks(min: number, max: number): number[] {
  return lossTicks({ min: Math.log(min), max: Math.log(max) }, { scale: 'log', epsilon: 0, clip: null }, 4);
}
