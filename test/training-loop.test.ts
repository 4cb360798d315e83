import { beforeAll, describe, expect, it } from 'vitest';
import { describeLayersModel } from '../contract/tfjs-layers.ts';
import { initTfjs } from '../worker/engine/tfjs/backend.ts';
import { saveLayersModel } from '../worker/engine/tfjs/save-model.ts';
import { builtinDataset } from '../worker/datasets/builtin.ts';
import { evaluateSplit, flatParameters, trainModel, type TrainOptions } from '../worker/training/train.ts';
import { buildArchitecture } from '../worker/zoo/index.ts';

beforeAll(async () => {
  await initTfjs();
});

const spirals = () => {
  const d = builtinDataset('spirals');
  return { train: d.train, test: d.test, inputShape: d.inputShape };
};

const options: TrainOptions = {
  epochs: 2,
  batchSize: 64,
  optimizer: { name: 'sgd', learningRate: 0.05, momentum: 0.9, nesterov: true },
  schedule: { kind: 'cosine' },
  weightDecay: 1e-4,
  shuffleSeed: 11,
  checkpointEvery: 1,
};

async function trainMlp(id: string, seed: number, overrides: Partial<TrainOptions> = {}) {
  const model = buildArchitecture({ id }, { inputShape: [2], classes: 2, seed });
  const checkpoints: { epoch: number; parameters: Float32Array }[] = [];
  const epochs: number[] = [];
  const before = await evaluateSplit(model, spirals().train, [2]);
  const history = await trainModel(model, spirals(), {
    ...options,
    ...overrides,
    onEpoch: (m) => void epochs.push(m.epoch),
    onCheckpoint: (epoch, parameters) => void checkpoints.push({ epoch, parameters }),
  });
  const after = await evaluateSplit(model, spirals().train, [2]);
  const final = await flatParameters(model);
  const files = await saveLayersModel(model);
  model.dispose();
  return { before, after, history, checkpoints, epochs, final, files };
}

describe('trainModel', () => {
  it('lowers the training loss of a residual MLP on spirals and reports every epoch', async () => {
    const run = await trainMlp('mlp-res', 1);
    expect(run.after.loss).toBeLessThan(run.before.loss * 0.9);
    expect(run.epochs).toEqual([1, 2]);
    expect(run.history.map((h) => h.learningRate)).toEqual([0.05, 0.025]);
    for (const h of run.history) {
      expect(h.accuracy).toBeGreaterThanOrEqual(0);
      expect(h.testAccuracy).toBeLessThanOrEqual(1);
      expect(Number.isFinite(h.testLoss)).toBe(true);
    }
  });

  it('same seed → bit-identical weights; another shuffle seed → different weights', async () => {
    const a = await trainMlp('mlp', 4, { epochs: 1 });
    const b = await trainMlp('mlp', 4, { epochs: 1 });
    const c = await trainMlp('mlp', 4, { epochs: 1, shuffleSeed: 12 });
    expect(Buffer.from(a.final.buffer).equals(Buffer.from(b.final.buffer))).toBe(true);
    expect(Buffer.from(a.final.buffer).equals(Buffer.from(c.final.buffer))).toBe(false);
  });

  it('checkpoints θ at epoch 0 and every k epochs, flat in parameter-model order (= weights.bin)', async () => {
    const run = await trainMlp('mlp-res', 2, { epochs: 2 });
    expect(run.checkpoints.map((c) => c.epoch)).toEqual([0, 1, 2]);
    const description = describeLayersModel(JSON.parse(new TextDecoder().decode(run.files['model.json'])));
    const size = description.parameters.reduce((n, p) => n + p.size, 0);
    for (const c of run.checkpoints) expect(c.parameters.length).toBe(size);
    expect(Array.from(run.checkpoints[2]!.parameters)).toEqual(Array.from(new Float32Array(run.files['weights.bin'].slice().buffer)));
    expect(Array.from(run.checkpoints[0]!.parameters)).not.toEqual(Array.from(run.checkpoints[2]!.parameters));
  });

  it('trains a strided ResNet with BN and Adam: the loss falls and the BN moving statistics move', async () => {
    const mnist = builtinDataset('mnist');
    // Every 40th training digit: all ten classes (the split is digit-major) in a few batches.
    const rows = Array.from({ length: 200 }, (_, k) => k * 40);
    const pick = (split: typeof mnist.train) => {
      const x = new Float32Array(rows.length * 784);
      const y = new Int32Array(rows.length);
      rows.forEach((r, k) => {
        x.set(split.x.subarray(r * 784, (r + 1) * 784), k * 784);
        y[k] = split.y[r]!;
      });
      return { x, y, n: rows.length };
    };
    const data = { train: pick(mnist.train), test: pick(mnist.train), inputShape: [28, 28, 1] };
    const model = buildArchitecture({ id: 'resnet8', width: 0.25 }, { inputShape: [28, 28, 1], classes: 10, seed: 1 });
    const meanBefore = Array.from(model.getLayer('stage2_block1_bn1').getWeights()[2]!.dataSync());
    const history = await trainModel(model, data, {
      ...options, epochs: 3, batchSize: 50, optimizer: { name: 'adam', learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }, schedule: { kind: 'constant' },
    });
    expect(history[2]!.loss).toBeLessThan(history[0]!.loss);
    expect(Array.from(model.getLayer('stage2_block1_bn1').getWeights()[2]!.dataSync())).not.toEqual(meanBefore);
    model.dispose();
  });
});
