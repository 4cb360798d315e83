import { beforeAll, describe, expect, it } from 'vitest';
import { ARCHITECTURES } from '../contract/architectures.ts';
import { resolveTrainingRequest } from '../contract/training.ts';
import { builtinDataset } from '../worker/datasets/builtin.ts';
import { initTfjs } from '../worker/engine/tfjs/backend.ts';
import { runTraining } from '../worker/training/run.ts';

beforeAll(async () => {
  await initTfjs();
});

/** Every 100th digit of a split (the splits are digit-major, so all ten classes). */
function digits(split: ReturnType<typeof builtinDataset>['train'], n: number) {
  const x = new Float32Array(n * 784);
  const y = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const row = Math.floor((k * split.n) / n);
    x.set(split.x.subarray(row * 784, (row + 1) * 784), k * 784);
    y[k] = split.y[row]!;
  }
  return { x, y, n };
}

describe('every zoo architecture trains on the onnxruntime engine', () => {
  const mnist = builtinDataset('mnist');
  const images = { ...mnist, train: digits(mnist.train, 96), test: digits(mnist.test, 32) };
  for (const architecture of ARCHITECTURES) {
    it(`${architecture.id}: the training loss falls over three short epochs`, async () => {
      const image = architecture.input === 'image';
      const request = resolveTrainingRequest({
        architecture: { id: architecture.id, ...(architecture.family === 'densenet' ? {} : { width: 0.25 }) },
        dataset: { id: image ? 'mnist' : 'spirals' },
        epochs: 3,
        batchSize: 32,
        // Deep nets without shortcuts start at a lower rate, as the paper trains them (at 0.05
        // ResNet-110-noshort's loss rises over these nine steps).
        optimizer: { name: 'sgd', learningRate: !architecture.skip && architecture.depth > 20 ? 0.01 : 0.05, momentum: 0.9, nesterov: true },
        weightDecay: 5e-4,
        seed: 1,
        checkpointEvery: 0,
      });
      const run = await runTraining(request, image ? images : builtinDataset('spirals'), { measureTrainSplit: false });
      expect(run.backend).toMatch(/^onnxruntime-node/);
      expect(run.history[2]!.loss).toBeLessThan(run.history[0]!.loss);
      for (const h of run.history) expect(Number.isFinite(h.testLoss)).toBe(true);
    }, 300_000);
  }
});
