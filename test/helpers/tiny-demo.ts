import type { Demo } from '../../scripts/train-zoo-demo.ts';

/**
 * A demo small enough to export in seconds on a test stack: the two committed demo CNNs on 32 MNIST
 * digits, a 9×9 comparison without Hessian maps, a k = 2 direction-ensemble companion on 5×5
 * (steps of 0.25: points within the sharpness radius r = 0.25 of θ*, so its finding compares rises)
 * and a tiny spectrum per member.
 */
export function tinyDemo(id: string): Demo {
  return {
    id,
    budget: 'none: the committed demo CNNs',
    models: [],
    comparison: {
      name: `${id}: demo CNNs with and without the skip`,
      members: [{ model: 'demo-cnn-skip', label: 'skip' }, { model: 'demo-cnn-plain', label: 'plain' }],
      shared: {
        dataset: { id: 'mnist', split: 'test', samples: 32, sampleSeed: 0 },
        grid: { x: { min: -0.5, max: 0.5, num: 9 }, y: { min: -0.5, max: 0.5, num: 9 } },
        directions: { seed: 3, normalization: 'filter', ignore: 'biasbn', mode: 'weights' },
        hessian: false,
      },
    },
    spectrum: { samples: 16, topK: 2, tolerance: 0.1, maxSteps: 8, traceSamples: 2, densitySteps: 6, bins: 50 },
    ensemble: { k: 2, grid: 5 },
  };
}
