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
