import { beforeAll, describe, expect, it } from 'vitest';
import { ARCHITECTURES } from '../contract/architectures.ts';
import { resolveTrainingRequest, type TrainingRequest } from '../contract/training.ts';
import { builtinDataset } from '../worker/datasets/builtin.ts';
import { initTfjs } from '../worker/engine/tfjs/backend.ts';
import { selectSamples } from '../worker/numeric/samples.ts';
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

/**
 * The zoo recipe (SGD + Nesterov) for all but the deepest nets without shortcuts. Those start at a
 * lower rate, as the paper trains them (ResNet-56-noshort at 0.01). ResNet-110-noshort's gradient
 * of the batch-statistics loss at initialisation has norm 2.6e6 (tfjs: 2.9e6; BN without skips
 * makes gradients grow exponentially with depth): any SGD step that moves it is far outside the
 * region where the loss is linear, and its loss rose over these nine steps at rates 1e-5 … 0.05;
 * Adam at 1e-4 (a step per weight of about the rate, whatever the gradient's scale) lowers it. It
 * takes the whole 96 images as one batch: with batch statistics, an epoch's mean over three
 * reshuffled batches of 32 varies with the batches' composition by more than three small steps
 * lower it, so whether that mean fell was decided by float rounding (it flipped when the weight
 * gradient's summation order changed, with gradients equal to 1e-7); on one fixed batch the loss
 * falls at every step (2.520, 2.503, 2.470).
 */
function optimizerFor(architecture: (typeof ARCHITECTURES)[number]): TrainingRequest['optimizer'] {
  if (architecture.skip || architecture.depth <= 20) return { name: 'sgd', learningRate: 0.05, momentum: 0.9, nesterov: true };
  if (architecture.depth <= 56) return { name: 'sgd', learningRate: 0.01, momentum: 0.9, nesterov: true };
  return { name: 'adam', learningRate: 1e-4 };
}

describe('every zoo architecture trains on the onnxruntime engine', () => {
  const mnist = builtinDataset('mnist');
  const images = { ...mnist, train: digits(mnist.train, 96), test: digits(mnist.test, 32) };
  // Segmentation nets: test/training-engine.test.ts (onnxruntime against tfjs on a U-Net).
  for (const architecture of ARCHITECTURES.filter((a) => a.task === 'classification')) {
    it(`${architecture.id}: the training loss falls over three short epochs`, async () => {
      const image = architecture.input === 'image';
      const request = resolveTrainingRequest({
        architecture: { id: architecture.id, ...(architecture.family === 'densenet' ? {} : { width: 0.25 }) },
        dataset: { id: image ? 'mnist' : 'spirals' },
        epochs: 3,
        batchSize: architecture.skip || architecture.depth <= 56 ? 32 : 96,
        optimizer: optimizerFor(architecture),
        weightDecay: 5e-4,
        seed: 1,
        checkpointEvery: 0,
      });
      const run = await runTraining(request, image ? images : builtinDataset('spirals'), { measureTrainSplit: false });
      expect(run.backend).toMatch(/^onnxruntime-node/);
      expect(run.history[2]!.loss).toBeLessThan(run.history[0]!.loss);
      // Test losses are not checked: after nine steps the BN moving statistics of the deep plain nets
      // are still far from the weights' (ResNet-110-noshort's inference-mode loss is NaN then, on tfjs too).
      for (const h of run.history) expect(Number.isFinite(h.loss)).toBe(true);
    }, 300_000);
  }
});

describe('dataset.samples', () => {
  it('trains on the seeded subset of the train split that selectSamples picks, and the seed matters', async () => {
    await initTfjs();
    const spirals = builtinDataset('spirals');
    const base = { architecture: { id: 'mlp', width: 0.5 }, epochs: 2, batchSize: 16, seed: 4, checkpointEvery: 0 } as const;
    const weightsOf = async (request: TrainingRequest, dataset = spirals) =>
      Buffer.from((await runTraining(resolveTrainingRequest(request), dataset, { measureTrainSplit: false })).files['weights.bin']);

    // The subset gathered by hand: rows selectSamples(n, 40, 3) of the train split, in index order.
    const rows = Array.from(selectSamples(spirals.train.n, 40, 3));
    const features = spirals.inputShape[0]!;
    const handPicked = {
      ...spirals,
      train: {
        x: Float32Array.from(rows.flatMap((r) => Array.from(spirals.train.x.subarray(r * features, (r + 1) * features)))),
        y: Int32Array.from(rows.map((r) => spirals.train.y[r]!)),
        n: rows.length,
      },
    };
    const subset = await weightsOf({ ...base, dataset: { id: 'spirals', samples: 40, sampleSeed: 3 } });
    expect(subset.equals(await weightsOf({ ...base, dataset: { id: 'spirals' } }, handPicked))).toBe(true);
    expect(subset.equals(await weightsOf({ ...base, dataset: { id: 'spirals', samples: 40, sampleSeed: 5 } }))).toBe(false);
    await expect(weightsOf({ ...base, dataset: { id: 'spirals', samples: spirals.train.n + 1 } })).rejects.toThrow(/dataset\.samples/);
  }, 120_000);
});
