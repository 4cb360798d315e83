import * as tf from '../worker/engine/tfjs/tf.ts';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DatasetSplitArrays } from '../contract/dataset-codec.ts';
import { resolveTrainingRequest, type ResolvedOptimizer, type TrainingRequest } from '../contract/training.ts';
import { builtinDataset } from '../worker/datasets/builtin.ts';
import { initTfjs } from '../worker/engine/tfjs/backend.ts';
import { layersModelArtifact } from '../worker/engine/tfjs/artifact.ts';
import { saveLayersModel } from '../worker/engine/tfjs/save-model.ts';
import { TrainingDiverged } from '../worker/training/loop.ts';
import { createOnnxStepper } from '../worker/training/onnx-stepper.ts';
import { runTraining } from '../worker/training/run.ts';
import { CLASSIFIER_OBJECTIVE } from '../worker/training/train.ts';

beforeAll(async () => {
  await initTfjs();
});

/** Two steps of softmax regression (dense 2 → 3, softmax) written out in float64: the independent reference. */
function referenceSteps(theta0: number[], x: number[][], labels: number[], optimizer: ResolvedOptimizer, weightDecay: number, rates: number[]): number[] {
  const theta = [...theta0];
  const n = x.length;
  const velocity = theta.map(() => 0);
  const first = theta.map(() => 0);
  const second = theta.map(() => 0);
  rates.forEach((rate, step) => {
    // θ = [W (2×3, row-major [in][out]), b (3)]
    const g = theta.map(() => 0);
    for (let s = 0; s < n; s++) {
      const z = [0, 1, 2].map((j) => x[s]![0]! * theta[j]! + x[s]![1]! * theta[3 + j]! + theta[6 + j]!);
      const top = Math.max(...z);
      const e = z.map((v) => Math.exp(v - top));
      const sum = e.reduce((a, b) => a + b, 0);
      for (let j = 0; j < 3; j++) {
        const d = e[j]! / sum - (labels[s] === j ? 1 : 0);
        g[j]! += (x[s]![0]! * d) / n;
        g[3 + j]! += (x[s]![1]! * d) / n;
        g[6 + j]! += d / n;
      }
    }
    for (let i = 0; i < theta.length; i++) {
      const gi = g[i]! + weightDecay * theta[i]!;
      if (optimizer.name === 'sgd') {
        velocity[i] = optimizer.momentum * velocity[i]! + gi;
        theta[i]! -= rate * (optimizer.nesterov ? gi + optimizer.momentum * velocity[i]! : velocity[i]!);
      } else {
        first[i] = optimizer.beta1 * first[i]! + (1 - optimizer.beta1) * gi;
        second[i] = optimizer.beta2 * second[i]! + (1 - optimizer.beta2) * gi * gi;
        const mHat = first[i]! / (1 - optimizer.beta1 ** (step + 1));
        const vHat = second[i]! / (1 - optimizer.beta2 ** (step + 1));
        theta[i]! -= (rate * mHat) / (Math.sqrt(vHat) + optimizer.epsilon);
      }
    }
  });
  return theta;
}

describe('onnxruntime training steps against float64 hand computations', () => {
  const x = [[0.5, -1.2], [1.5, 0.3], [-0.7, 0.9], [0.2, 2.1], [-1.1, -0.4]];
  const labels = [0, 2, 1, 1, 0];
  const optimizers: ResolvedOptimizer[] = [
    { name: 'sgd', learningRate: 0.3, momentum: 0.9, nesterov: true },
    { name: 'adam', learningRate: 0.05, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
  ];
  for (const optimizer of optimizers) {
    it(`${optimizer.name}${optimizer.name === 'sgd' ? ' + Nesterov' : ''} with weight decay: two steps of softmax regression equal the float64 update`, async () => {
      const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 3, activation: 'softmax', kernelInitializer: 'glorotUniform', biasInitializer: tf.initializers.constant({ value: 0.1 }) })] });
      const artifact = layersModelArtifact(await saveLayersModel(model), 'softmax-regression');
      model.dispose();
      const stepper = await createOnnxStepper(artifact, [2], { objective: CLASSIFIER_OBJECTIVE, optimizer, weightDecay: 0.01, batchSize: x.length, threads: 1 });
      const theta0 = Array.from(await stepper.parameters());
      const rates = [optimizer.learningRate, optimizer.learningRate / 2];
      for (const rate of rates) await stepper.step({ x: Float32Array.from(x.flat()), y: Int32Array.from(labels), n: x.length }, rate);
      const ours = await stepper.parameters();
      await stepper.dispose();
      const expected = referenceSteps(theta0, x, labels, optimizer, 0.01, rates);
      const moved = Math.max(...expected.map((e, i) => Math.abs(e - theta0[i]!)));
      expect(moved).toBeGreaterThan(0.01);
      // float32 arithmetic in the graph and the optimizer against float64: a few ulps of θ's scale.
      expected.forEach((e, i) => expect(Math.abs(ours[i]! - e)).toBeLessThan(2e-6));
    });
  }
});

const spirals = builtinDataset('spirals');
const mlpRequest: TrainingRequest = {
  architecture: { id: 'mlp-res' }, dataset: { id: 'spirals' }, epochs: 1, batchSize: 50,
  optimizer: { name: 'sgd', learningRate: 0.05 }, weightDecay: 5e-4, seed: 3, checkpointEvery: 0,
};
const weights = (run: Awaited<ReturnType<typeof runTraining>>) => new Float32Array(run.files['weights.bin'].slice().buffer);

describe('onnxruntime training engine', () => {
  it('one epoch of an MLP follows the tfjs path from the same init and batches (close, not equal: other kernels)', async () => {
    const onnx = await runTraining(resolveTrainingRequest({ ...mlpRequest, engine: 'onnxruntime' }), spirals, { measureTrainSplit: false });
    const tfjs = await runTraining(resolveTrainingRequest({ ...mlpRequest, engine: 'tfjs' }), spirals, { measureTrainSplit: false });
    expect(onnx.backend).toMatch(/^onnxruntime-node .* autodiff/);
    expect(tfjs.backend).toMatch(/^tfjs /);
    const a = weights(onnx);
    const b = weights(tfjs);
    let difference = 0;
    let norm = 0;
    for (let i = 0; i < a.length; i++) {
      difference += (a[i]! - b[i]!) ** 2;
      norm += b[i]! ** 2;
    }
    // Same init, batches and float32 update rule, so the only difference is the kernels: MLAS and
    // tfjs-wasm sum the matrix products and the batch reductions in other orders (a float32 ulp,
    // ~6e-8 relative, per sum), and the 40 steps carry those roundings forward. Measured: 5.1e-8
    // relative in θ (max 1.2e-7 absolute); the bound leaves 20×. A wrong gradient, update, decay
    // or batch order moves θ by > 1e-3 relative in one epoch.
    expect(Math.sqrt(difference / norm)).toBeLessThan(1e-6);
    expect(Math.sqrt(difference / norm)).toBeGreaterThan(0);
    expect(Math.abs(onnx.history[0]!.loss - tfjs.history[0]!.loss)).toBeLessThan(1e-6 * tfjs.history[0]!.loss);
    expect(Math.abs(onnx.finalTest.loss - tfjs.finalTest.loss)).toBeLessThan(1e-6 * tfjs.finalTest.loss);
  }, 120_000);

  it('same seed → bit-identical weights; another seed → different ones (ResNet-8 with BN)', async () => {
    const mnist = builtinDataset('mnist');
    const rows = Array.from({ length: 96 }, (_, k) => k * 80);
    const pick = (split: typeof mnist.train) => {
      const x = new Float32Array(rows.length * 784);
      const y = new Int32Array(rows.length);
      rows.forEach((r, k) => {
        x.set(split.x.subarray(r * 784, (r + 1) * 784), k * 784);
        y[k] = split.y[r]!;
      });
      return { x, y, n: rows.length };
    };
    const data = { ...mnist, train: pick(mnist.train), test: pick(mnist.test) };
    const request = (seed: number) => resolveTrainingRequest({
      architecture: { id: 'resnet8', width: 0.25 }, dataset: { id: 'mnist' }, epochs: 2, batchSize: 40, weightDecay: 5e-4, seed, checkpointEvery: 0,
    });
    const [a, b, c] = [await runTraining(request(5), data), await runTraining(request(5), data), await runTraining(request(6), data)];
    expect(Buffer.from(a.files['weights.bin']).equals(Buffer.from(b.files['weights.bin']))).toBe(true);
    expect(a.history).toEqual(b.history.map((h, i) => ({ ...h, seconds: a.history[i]!.seconds })));
    expect(Buffer.from(a.files['weights.bin']).equals(Buffer.from(c.files['weights.bin']))).toBe(false);
  }, 240_000);

  it('a loss that becomes NaN fails the run with the epochs completed; no model comes out', async () => {
    // Momentum 0.999 at rate 0.5: the logits overflow in epoch 5 (loss NaN through LogSoftmax of ±Infinity).
    const request = resolveTrainingRequest({ ...mlpRequest, epochs: 30, optimizer: { name: 'sgd', learningRate: 0.5, momentum: 0.999 } });
    const epochs: number[] = [];
    const failure = await runTraining(request, spirals, { onEpoch: (m) => void epochs.push(m.epoch) }).then(() => null, (err: unknown) => err);
    expect(failure).toBeInstanceOf(TrainingDiverged);
    const diverged = failure as TrainingDiverged;
    expect(epochs).toEqual([1, 2, 3, 4]);
    expect(diverged.epochsCompleted).toBe(4);
    expect(diverged.message).toContain(`${epochs.length} epoch`);
    expect(Number.isFinite(diverged.loss)).toBe(false);
  }, 120_000);
});

describe('segmentation training', () => {
  const unetRequest: TrainingRequest = {
    architecture: { id: 'unet', skips: 'concat', depth: 2, width: 0.25 },
    dataset: { id: 'shapes' },
    epochs: 2,
    batchSize: 32,
    optimizer: { name: 'adam', learningRate: 0.01 },
    checkpointEvery: 1,
  };

  const headOf = (split: DatasetSplitArrays, n: number): DatasetSplitArrays => ({
    x: split.x.slice(0, (n * split.x.length) / split.n), y: split.y.slice(0, (n * split.y.length) / split.n), n,
  });

  it('a U-Net trains on onnxruntime by default (per-pixel BCE from logits in the gradient graph) and follows the tfjs path from the same init and batches', async () => {
    expect(resolveTrainingRequest(unetRequest).engine).toBe('onnxruntime');
    const shapes = builtinDataset('shapes');
    const dataset = { ...shapes, train: headOf(shapes.train, 64), test: headOf(shapes.test, 32) };
    const sgd = { ...unetRequest, epochs: 1, optimizer: { name: 'sgd' as const, learningRate: 0.05, momentum: 0.9 }, checkpointEvery: 0 };
    const checkpoints: Float32Array[] = [];
    const onnx = await runTraining(resolveTrainingRequest({ ...sgd, checkpointEvery: 1 }), dataset, { measureTrainSplit: false, onCheckpoint: (_epoch, parameters) => void checkpoints.push(parameters) });
    const tfjs = await runTraining(resolveTrainingRequest({ ...sgd, engine: 'tfjs' }), dataset, { measureTrainSplit: false });
    expect(onnx.backend).toMatch(/^onnxruntime-node .* autodiff/);
    expect(tfjs.backend).toMatch(/^tfjs /);
    const a = weights(onnx);
    const b = weights(tfjs);
    const initial = checkpoints[0]!;
    let difference = 0;
    let step = 0;
    for (let i = 0; i < a.length; i++) {
      difference += (a[i]! - b[i]!) ** 2;
      step += (b[i]! - initial[i]!) ** 2;
    }
    // Two steps: the engines' updates agree to kernel rounding (measured 2.4e-4 of the update: BN
    // batch statistics, its closed-form backward and transposed convolutions summed in other
    // orders, amplified by momentum); a per-pixel loss summed instead of averaged over the pixels
    // measured 2.6e3.
    expect(Math.sqrt(step)).toBeGreaterThan(0);
    expect(Math.sqrt(difference / step)).toBeLessThan(1e-3);
    expect(Math.abs(onnx.history[0]!.loss - tfjs.history[0]!.loss)).toBeLessThan(1e-5 * tfjs.history[0]!.loss);
    expect(Math.abs(onnx.finalTest.loss - tfjs.finalTest.loss)).toBeLessThan(1e-5 * tfjs.finalTest.loss);
    // After two steps most pixels sit near the 0.5 threshold, so rounding flips a few of them
    // (measured 0.004 of IoU, losses 3e-6 apart); Dice in place of IoU would differ by about 0.17.
    expect(Math.abs(onnx.finalTest.accuracy - tfjs.finalTest.accuracy)).toBeLessThan(0.01);
  }, 300_000);

  it('trains a U-Net on tfjs with the per-pixel loss from logits: loss falls, IoU in [0, 1], the checkpoints are the weights file', async () => {
    const shapes = builtinDataset('shapes');
    const dataset = { ...shapes, train: headOf(shapes.train, 192), test: headOf(shapes.test, 64) };
    const checkpoints: Float32Array[] = [];
    const run = await runTraining(resolveTrainingRequest({ ...unetRequest, engine: 'tfjs' }), dataset, { onCheckpoint: (_epoch, parameters) => void checkpoints.push(parameters) });
    expect(run.backend).toMatch(/^tfjs /);
    expect(run.history).toHaveLength(2);
    for (const m of run.history) {
      expect(m.accuracy).toBeGreaterThanOrEqual(0);
      expect(m.accuracy).toBeLessThanOrEqual(1);
      expect(m.testAccuracy).toBeGreaterThanOrEqual(0);
      expect(m.testAccuracy).toBeLessThanOrEqual(1);
    }
    expect(run.history[1]!.loss).toBeLessThan(run.history[0]!.loss);
    expect(checkpoints).toHaveLength(3);
    const weights = run.files['weights.bin'];
    expect(weights.byteLength).toBe(4 * run.parameterCount);
    expect(Buffer.from(weights).equals(Buffer.from(checkpoints[2]!.buffer, checkpoints[2]!.byteOffset, checkpoints[2]!.byteLength))).toBe(true);
    expect(Buffer.from(weights).equals(Buffer.from(checkpoints[0]!.buffer, checkpoints[0]!.byteOffset, checkpoints[0]!.byteLength))).toBe(false);
  }, 300_000);
});
