import { describe, expect, it } from 'vitest';
import { finiteRange, inverseTransform, logRange, logTicks, lossTicks, normalize, transformGrid, transformValue } from './scale.ts';

describe('scale', () => {
  const log = { scale: 'log' as const, epsilon: 0.1, clip: null };
  it('log scale is log(loss + ε) and inverts', () => {
    expect(transformValue(0.9, log)).toBeCloseTo(0, 12);
    expect(inverseTransform(transformValue(2.5, log), log)).toBeCloseTo(2.5, 12);
  });

  it('clips at the maximum loss before the log', () => {
    expect(transformValue(50, { scale: 'linear', epsilon: 0.1, clip: 10 })).toBe(10);
    expect(transformValue(50, { ...log, clip: 9.9 })).toBeCloseTo(Math.log(10), 12);
    expect(transformValue(5, { scale: 'linear', epsilon: 0.1, clip: 10 })).toBe(5);
  });

  it('keeps holes as NaN', () => {
    expect(transformValue(NaN, log)).toBeNaN();
    expect(transformValue(Infinity, log)).toBeNaN();
    const out = transformGrid(Float32Array.of(1, NaN, 3), { scale: 'linear', epsilon: 0.1, clip: null });
    expect(Array.from(out)).toEqual([1, NaN, 3]);
  });

  it('range over several grids ignores NaN and widens a flat surface', () => {
    expect(finiteRange([Float32Array.of(NaN, 2, 5), Float32Array.of(-1, NaN)])).toEqual({ min: -1, max: 5 });
    expect(finiteRange([Float32Array.of(NaN)])).toBeNull();
    expect(finiteRange([Float32Array.of(3, 3)])).toEqual({ min: 2.5, max: 3.5 });
    expect(normalize(7, { min: -1, max: 5 })).toBe(1);
    expect(normalize(2, { min: -1, max: 5 })).toBe(0.5);
  });
});

describe('loss ticks', () => {
  it('linear: nice ticks between the range ends', () => {
    expect(lossTicks({ min: 0.13, max: 0.97 }, { scale: 'linear', epsilon: 0.1, clip: null }, 4)).toEqual([0.2, 0.4, 0.6, 0.8]);
  });
  it('log: 1-2-5 decades in loss units', () => {
    const options = { scale: 'log' as const, epsilon: 0.1, clip: null };
    const range = { min: transformValue(0.05, options), max: transformValue(3, options) };
    expect(lossTicks(range, options)).toEqual([0.05, 0.1, 0.2, 0.5, 1, 2]);
    const wide = { min: transformValue(0.001, options), max: transformValue(5000, options) };
    expect(lossTicks(wide, options)).toEqual([0.001, 0.01, 0.1, 1, 10, 100, 1000]);
  });
  it('log from 0 (an IQR that is 0 at θ*): 0, then decades from the first power of ten above ε, no crowd of tiny ticks', () => {
    const options = { scale: 'log' as const, epsilon: 0.06, clip: null };
    // exp(log ε) − ε is not exactly 0: the range's low end comes back as ±1e-9 or so.
    const range = { min: transformValue(0, options), max: transformValue(6, options) };
    expect(lossTicks(range, options)).toEqual([0, 0.1, 0.2, 0.5, 1, 2, 5]);
    expect(lossTicks({ min: Math.log(0.06 - 1e-10), max: range.max }, options)).toEqual([0, 0.1, 0.2, 0.5, 1, 2, 5]);
    expect(lossTicks({ min: Math.log(0.06 + 1e-18), max: transformValue(600, options) }, options)).toEqual([0, 0.1, 1, 10, 100]);
  });

  it('a log chart axis spans the data, not whole decades, with round ticks inside it', () => {
    // A slice whose loss runs from 0.06 to 13: up to 14.95, not 100.
    const [low, high] = logRange(0.06, 13);
    expect(low).toBeCloseTo(0.06 / 1.15, 12);
    expect(high).toBeCloseTo(13 * 1.15, 12);
    expect(logTicks(low, high)).toEqual([0.1, 0.2, 0.5, 1, 2, 5, 10]);
    // Zero or negative minima (no log) give way to a hundredth of the maximum; a flat line gets a factor 2 each way.
    expect(logRange(0, 5)).toEqual([0.05 / 1.15, 5 * 1.15]);
    expect(logRange(3, 3)).toEqual([1.5, 6]);
  });
});
