import { beforeAll, describe, expect, it } from 'vitest';
import type { DatasetArrays, DatasetSplitArrays } from '../../contract/dataset-codec.ts';
import { initTfjs } from '../engine/tfjs/backend.ts';
import { logitsTopology } from '../engine/tfjs/logits.ts';
import { builtinDataset } from '../datasets/builtin.ts';
import { buildArchitecture } from '../zoo/index.ts';
import { evaluateSplit, trainingObjective, trainModel } from './train.ts';

const datasets = new Map<string, DatasetArrays>();

beforeAll(async () => {
  await initTfjs();
  // Built here, not in the tests: under the hook timeout, on a loaded machine building mnist-seg takes a while.
  for (const id of ['mnist-seg', 'shapes']) datasets.set(id, builtinDataset(id));
});

function head(split: DatasetSplitArrays, n: number): DatasetSplitArrays {
  const features = split.x.length / split.n;
  const labels = split.y.length / split.n;
  return { x: split.x.slice(0, n * features), y: split.y.slice(0, n * labels), n };
}

describe('training a U-Net on the tfjs path', () => {
  it.each([
    ['mnist-seg', 'binary_crossentropy'],
    ['shapes', 'sparse_categorical_crossentropy'],
  ] as const)('%s: a few seconds of Adam lower the per-pixel loss and raise the IoU', async (id, loss) => {
    const dataset = datasets.get(id)!;
    const objective = trainingObjective(dataset);
    expect(objective).toEqual({ loss });
    const data = { train: head(dataset.train, 192), test: head(dataset.test, 64), inputShape: dataset.inputShape, objective };
    const model = buildArchitecture({ id: 'unet', skips: 'concat', depth: 2, width: 0.25 }, { inputShape: dataset.inputShape, classes: dataset.classes!, seed: 1 });
    try {
      // The U-Net outputs per-pixel logits already: its logits twin strips nothing.
      expect(logitsTopology(model.toJSON(null, false)).stripped).toBeNull();
      const before = await evaluateSplit(model, data.train, data.inputShape, 64, objective);
      const history = await trainModel(model, data, {
        epochs: 4, batchSize: 32, optimizer: { name: 'adam', learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
        schedule: { kind: 'constant' }, weightDecay: 0, shuffleSeed: 2, checkpointEvery: 0,
      });
      const after = await evaluateSplit(model, data.train, data.inputShape, 64, objective);
      expect(history).toHaveLength(4);
      expect(history.every((m) => Number.isFinite(m.loss) && m.testAccuracy >= 0 && m.testAccuracy <= 1)).toBe(true);
      expect(after.loss).toBeLessThan(0.8 * before.loss);
      expect(after.accuracy).toBeGreaterThan(before.accuracy);
      expect(history[3]!.testLoss).toBeLessThan(history[0]!.testLoss);
    } finally {
      model.dispose();
    }
  }, 300_000); // seconds on an idle machine; measured 140 s with the 2 cores shared by ~30 runnable processes.
});
