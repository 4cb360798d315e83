import { describe, expect, it } from 'vitest';
import { cosine, dot, norm, perturb, sameValues } from './vector.ts';

const f32 = (values: number[]) => Float32Array.from(values);

describe('vector', () => {
  it('dot, norm and cosine follow their formulas', () => {
    expect(dot(f32([1, 2, 3]), f32([4, -5, 6]))).toBe(12);
    expect(norm(f32([3, 4]))).toBe(5);
    expect(cosine(f32([1, 0]), f32([1, 1]))).toBeCloseTo(Math.SQRT1_2, 12);
    expect(cosine(f32([1, 2]), f32([-2, 1]))).toBe(0);
  });

  it('sameValues: equal entry by entry and in length; a NaN never equals', () => {
    expect(sameValues(f32([1, -0, 3]), f32([1, 0, 3]))).toBe(true);
    expect(sameValues(f32([1, 2, 3]), f32([1, 2, 4]))).toBe(false);
    expect(sameValues(f32([1, 2]), f32([1, 2, 3]))).toBe(false);
    expect(sameValues(f32([NaN]), f32([NaN]))).toBe(false);
  });

  it('accumulates in float64 (float32 accumulation would lose the 1)', () => {
    expect(dot(f32([1e8, 1, -1e8]), f32([1, 1, 1]))).toBe(1);
    // 1e20² overflows float32 but not float64.
    expect(norm(f32([1e20, 1e20])) / (Math.SQRT2 * Math.fround(1e20))).toBeCloseTo(1, 12);
  });

  it('rejects vectors of different lengths', () => {
    expect(() => dot(f32([1]), f32([1, 2]))).toThrow(/lengths differ/);
  });

  it('perturb computes θ + a·dx + b·dy into out, with dy optional', () => {
    const theta = f32([1, 2, 3]);
    const dx = f32([1, 0, -1]);
    const dy = f32([0, 2, 2]);
    const out = new Float32Array(3);
    expect(perturb(theta, dx, 0.5, dy, -1, out)).toBe(out);
    expect(Array.from(out)).toEqual([1.5, 0, 0.5]);
    expect(Array.from(perturb(theta, dx, 2, null, 99, out))).toEqual([3, 2, 1]);
    expect(Array.from(theta)).toEqual([1, 2, 3]);
  });
});
