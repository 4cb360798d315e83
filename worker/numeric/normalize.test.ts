import { describe, expect, it } from 'vitest';
import { normalizeDirection } from './normalize.ts';
import { KERNEL_LAYOUTS, randomValues, referenceFilterIndex, referenceFilterNorms } from './test-layouts.ts';

const sizeOf = (shape: number[]) => shape.reduce((n, d) => n * d, 1);
const l2 = (v: Float32Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

function expectRelative(actual: number, expected: number, tolerance = 1e-6): void {
  expect(Math.abs(actual - expected) / Math.abs(expected)).toBeLessThan(tolerance);
}

/** d must equal d0 times a positive factor that is constant within each filter. */
function expectFilterwiseScaling(d: Float32Array, d0: Float32Array, shape: number[], filterAxes: number[]): void {
  const before = referenceFilterNorms(d0, shape, filterAxes);
  const ratios = referenceFilterNorms(d, shape, filterAxes).map((n, f) => n / before[f]!);
  d.forEach((v, i) => expectRelative(v / d0[i]!, ratios[referenceFilterIndex(i, shape, filterAxes)]!));
}

describe('normalizeDirection', () => {
  for (const { label, shape, filterAxes } of KERNEL_LAYOUTS) {
    const param = { shape, filterAxes };
    const theta = randomValues(sizeOf(shape), 1).map((v) => v * 0.3);
    const original = randomValues(sizeOf(shape), 2);

    it(`filter: each filter of ${label} gets the weight's filter norm along axes [${filterAxes}]`, () => {
      const d = original.slice();
      normalizeDirection(d, theta, param, 'filter');
      const want = referenceFilterNorms(theta, shape, filterAxes);
      referenceFilterNorms(d, shape, filterAxes).forEach((n, f) => expectRelative(n, want[f]!));
      expectFilterwiseScaling(d, original, shape, filterAxes);
    });

    it(`dfilter: each filter of ${label} has unit norm`, () => {
      const d = original.slice();
      normalizeDirection(d, theta, param, 'dfilter');
      referenceFilterNorms(d, shape, filterAxes).forEach((n) => expectRelative(n, 1));
      expectFilterwiseScaling(d, original, shape, filterAxes);
    });
  }

  const param = { shape: [3, 3, 4, 8], filterAxes: [3] };
  const theta = randomValues(288, 5).map((v) => v * 0.1);
  const original = randomValues(288, 6);

  it('layer: d ← d·‖θ‖/‖d‖', () => {
    const d = original.slice();
    normalizeDirection(d, theta, param, 'layer');
    const scale = l2(theta) / l2(original);
    d.forEach((v, i) => expectRelative(v, original[i]! * scale));
    expectRelative(l2(d), l2(theta));
  });

  it('weight: d ← d ⊙ θ', () => {
    const d = original.slice();
    normalizeDirection(d, theta, param, 'weight');
    d.forEach((v, i) => expect(v).toBe(Math.fround(original[i]! * theta[i]!)));
  });

  it('dlayer: d ← d/‖d‖', () => {
    const d = original.slice();
    normalizeDirection(d, theta, param, 'dlayer');
    d.forEach((v, i) => expectRelative(v, original[i]! / l2(original)));
  });

  it('none: leaves d unchanged', () => {
    const d = original.slice();
    normalizeDirection(d, theta, param, 'none');
    expect(d).toEqual(original);
  });

  it('filter: a zero filter of θ gives a zero filter of d (ε guards the division)', () => {
    const zeroTheta = new Float32Array(6);
    const d = Float32Array.from([1, 2, 3, 4, 5, 6]);
    normalizeDirection(d, zeroTheta, { shape: [2, 3], filterAxes: [1] }, 'filter');
    expect(Array.from(d)).toEqual([0, 0, 0, 0, 0, 0]);
  });
});
