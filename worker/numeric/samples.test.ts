import { describe, expect, it } from 'vitest';
import { selectSamples } from './samples.ts';

describe('selectSamples', () => {
  it('chooses distinct, sorted indices in range', () => {
    const chosen = selectSamples(10_000, 1000, 7);
    expect(chosen.length).toBe(1000);
    expect(new Set(chosen).size).toBe(1000);
    for (let i = 1; i < chosen.length; i++) expect(chosen[i]!).toBeGreaterThan(chosen[i - 1]!);
    expect(chosen[0]!).toBeGreaterThanOrEqual(0);
    expect(chosen[999]!).toBeLessThan(10_000);
  });

  it('spreads over the whole split rather than taking a prefix', () => {
    const chosen = selectSamples(10_000, 100, 1);
    expect(chosen.filter((i) => i >= 5000).length).toBeGreaterThan(30);
    expect(chosen.filter((i) => i < 5000).length).toBeGreaterThan(30);
  });

  it('is determined by the seed', () => {
    expect(selectSamples(5000, 300, 3)).toEqual(selectSamples(5000, 300, 3));
    expect(selectSamples(5000, 300, 3)).not.toEqual(selectSamples(5000, 300, 4));
  });

  it('returns every index when count reaches the split size', () => {
    expect(Array.from(selectSamples(5, 5, 0))).toEqual([0, 1, 2, 3, 4]);
    expect(selectSamples(0, 0, 0).length).toBe(0);
  });

  it('refuses more samples than the split has instead of clamping', () => {
    expect(() => selectSamples(5, 50, 9)).toThrow('cannot choose 50 samples from a split of 5');
    expect(() => selectSamples(0, 10, 0)).toThrow('cannot choose 10 samples from a split of 0');
  });
});
