import { describe, expect, it } from 'vitest';
import { learningRateAt, warmupFactor } from './schedule.ts';

describe('learningRateAt', () => {
  it('step: multiplies by gamma at each milestone reached', () => {
    const schedule = { kind: 'step' as const, milestones: [2, 4], gamma: 0.1 };
    expect([0, 1, 2, 3, 4, 5].map((e) => learningRateAt(0.1, schedule, e, 6))).toEqual([0.1, 0.1, 0.1 * 0.1, 0.1 * 0.1, 0.1 * 0.1 ** 2, 0.1 * 0.1 ** 2]);
  });
  it('cosine: starts at the base rate and decays toward the minimum', () => {
    const schedule = { kind: 'cosine' as const, minLearningRate: 0.01 };
    expect(learningRateAt(0.1, schedule, 0, 4)).toBeCloseTo(0.1, 12);
    expect(learningRateAt(0.1, schedule, 2, 4)).toBeCloseTo(0.055, 12);
    expect(learningRateAt(0.1, schedule, 3, 4)).toBeLessThan(learningRateAt(0.1, schedule, 2, 4));
  });
  it('constant: the base rate every epoch', () => {
    expect(learningRateAt(0.3, { kind: 'constant' }, 7, 10)).toBe(0.3);
  });
});

describe('warmupFactor', () => {
  it('rises linearly to 1 over the warm-up steps, then stays at 1', () => {
    expect([0, 1, 2, 3, 4, 5].map((s) => warmupFactor(s, 4))).toEqual([0.25, 0.5, 0.75, 1, 1, 1]);
  });
  it('no warm-up: 1 from the first step', () => {
    expect(warmupFactor(0, 0)).toBe(1);
  });
});
