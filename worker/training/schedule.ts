import type { LearningRateSchedule } from '../../contract/training.ts';

/**
 * Learning rate of an epoch (0-based) out of `epochs`, constant within the epoch.
 * step: base · gamma^(number of milestones ≤ epoch); cosine: minimum + (base − minimum)·(1 + cos(π·epoch/epochs))/2.
 */
export function learningRateAt(base: number, schedule: LearningRateSchedule, epoch: number, epochs: number): number {
  switch (schedule.kind) {
    case 'constant':
      return base;
    case 'step':
      return base * schedule.gamma ** schedule.milestones.filter((m) => m <= epoch).length;
    case 'cosine': {
      const minimum = schedule.minLearningRate ?? 0;
      return minimum + ((base - minimum) * (1 + Math.cos((Math.PI * epoch) / epochs))) / 2;
    }
  }
}

/**
 * Linear warm-up (Goyal et al. 2017): step s (0-based, counted across epochs) of the first
 * `warmupSteps` takes (s + 1)/warmupSteps of the scheduled rate, so the rate rises from
 * rate/warmupSteps to the full rate; every later step the full rate.
 */
export function warmupFactor(step: number, warmupSteps: number): number {
  return step < warmupSteps ? (step + 1) / warmupSteps : 1;
}
