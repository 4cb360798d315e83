import { describe, expect, it } from 'vitest';
import { runEpochs, type Batch, type TrainingStepper } from './loop.ts';

/** A stepper that records the rate of every step (the loop's contract with the engines; their use of the rate is tested against float64 updates in test/training-engine.test.ts). */
function recordingStepper(rates: number[]): TrainingStepper {
  return {
    step: async (_batch: Batch, learningRate: number) => (rates.push(learningRate), { loss: 1, correct: null }),
    evaluate: async () => ({ loss: 1, accuracy: 0 }),
    parameters: async () => new Float32Array(1),
  };
}

const data = (n: number) => ({ train: { x: new Float32Array(n), y: new Int32Array(n), n }, test: { x: new Float32Array(1), y: new Int32Array(1), n: 1 }, inputShape: [1] });

describe('runEpochs', () => {
  it('warm-up: the steps of the first warmupEpochs take a linearly rising fraction of the scheduled rate, across the epoch boundary', async () => {
    const rates: number[] = [];
    // 10 samples in batches of 4: 3 steps per epoch; 1.5 epochs of warm-up = round(4.5) = 5 steps (half-way rounds up).
    const history = await runEpochs(recordingStepper(rates), data(10), {
      epochs: 3, batchSize: 4, learningRate: 0.1, schedule: { kind: 'step', milestones: [1], gamma: 0.5 }, warmupEpochs: 1.5, shuffleSeed: 0, checkpointEvery: 0,
    });
    const expected = [0.1 * 1 / 5, 0.1 * 2 / 5, 0.1 * 3 / 5, 0.05 * 4 / 5, 0.05, 0.05, 0.05, 0.05, 0.05];
    expect(rates).toHaveLength(expected.length);
    rates.forEach((r, i) => expect(r).toBeCloseTo(expected[i]!, 15));
    expect(history.map((h) => h.learningRate)).toEqual([0.1, 0.05, 0.05]);
  });

  it('without warm-up every step takes the scheduled rate', async () => {
    const rates: number[] = [];
    await runEpochs(recordingStepper(rates), data(8), { epochs: 2, batchSize: 4, learningRate: 0.2, schedule: { kind: 'constant' }, shuffleSeed: 0, checkpointEvery: 0 });
    expect(rates).toEqual([0.2, 0.2, 0.2, 0.2]);
  });
});
