import { describe, expect, it } from 'vitest';
import { filterNorms } from './filter-norms.ts';
import { KERNEL_LAYOUTS, randomValues, referenceFilterNorms } from './test-layouts.ts';

describe('filterNorms', () => {
  for (const { label, shape, filterAxes } of KERNEL_LAYOUTS) {
    it(`slices ${label} along axes [${filterAxes}]`, () => {
      const values = randomValues(shape.reduce((n, d) => n * d, 1), 3);
      const norms = filterNorms(values, { shape, filterAxes });
      const expected = referenceFilterNorms(values, shape, filterAxes);
      expect(norms.length).toBe(expected.length);
      norms.forEach((v, f) => expect(v).toBeCloseTo(expected[f]!, 10));
    });
  }

  it('treats a tensor without filter axes as one filter', () => {
    expect(Array.from(filterNorms(Float32Array.from([3, 4]), { shape: [2], filterAxes: [] }))).toEqual([5]);
  });

  it('distinguishes the first from the last axis on a hand-checked [2,3] tensor', () => {
    const values = Float32Array.from([1, 2, 3, 4, 5, 6]);
    expect(Array.from(filterNorms(values, { shape: [2, 3], filterAxes: [0] }))).toEqual([Math.sqrt(14), Math.sqrt(77)]);
    expect(Array.from(filterNorms(values, { shape: [2, 3], filterAxes: [1] }))).toEqual([Math.sqrt(17), Math.sqrt(29), Math.sqrt(45)]);
  });
});
