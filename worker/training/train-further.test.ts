import { describe, expect, it } from 'vitest';
import type { DatasetArrays } from '../../contract/dataset-codec.ts';
import { modelFormat } from '../../contract/formats/index.ts';
import { describeOnnxModel } from '../../contract/onnx-model.ts';
import { resolveTrainingRequest } from '../../contract/training.ts';
import type { ModelArtifact } from '../engine/evaluator.ts';
import { encodeModel, torchLikeModel } from '../engine/onnx/torch-like-models.ts';
import { uniformStream } from '../numeric/rng.ts';
import { runTraining } from './run.ts';

const N = 24;
const SIDE = 8;
const CHANNELS = 3;
const FILTERS = 4;

/** Seeded NHWC images [N, 8, 8, 3]; the class is the channel with the largest mean. */
function images(): DatasetArrays {
  const uniform = uniformStream(7);
  const x = Float32Array.from({ length: N * SIDE * SIDE * CHANNELS }, () => uniform());
  const y = Int32Array.from({ length: N }, (_, n) => {
    const means = [0, 1, 2].map((c) => {
      let sum = 0;
      for (let p = 0; p < SIDE * SIDE; p++) sum += x[(n * SIDE * SIDE + p) * CHANNELS + c]!;
      return sum;
    });
    return means.indexOf(Math.max(...means));
  });
  const split = { x, y, n: N };
  return { task: 'classification', inputShape: [SIDE, SIDE, CHANNELS], classes: 3, targetSize: null, train: split, test: split };
}

/** Per output channel, the mean and biased variance over batch and space of Conv(3×3, pad 1) + bias, in float64. */
function convStatistics(dataset: DatasetArrays, weight: Float32Array, bias: Float32Array) {
  const { x } = dataset.train;
  const pixel = (n: number, i: number, j: number, c: number) => (i < 0 || j < 0 || i >= SIDE || j >= SIDE ? 0 : x[((n * SIDE + i) * SIDE + j) * CHANNELS + c]!);
  return Array.from({ length: FILTERS }, (_, o) => {
    const values: number[] = [];
    for (let n = 0; n < N; n++) {
      for (let i = 0; i < SIDE; i++) {
        for (let j = 0; j < SIDE; j++) {
          let sum = bias[o]!;
          for (let c = 0; c < CHANNELS; c++) for (let u = 0; u < 3; u++) for (let v = 0; v < 3; v++) sum += weight[((o * CHANNELS + c) * 3 + u) * 3 + v]! * pixel(n, i + u - 1, j + v - 1, c);
          values.push(sum);
        }
      }
    }
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    return { mean, variance: values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length };
  });
}

describe('training a stored ONNX model further', () => {
  it('a conv net with BN (torch layout, NCHW fed NHWC images): one full-batch step moves the running statistics by ONNX momentum 0.9 toward the batch statistics computed in float64', async () => {
    const bytes = encodeModel(torchLikeModel());
    const description = describeOnnxModel(bytes);
    const artifact: ModelArtifact = { hash: 'torch-like', format: 'onnx', files: { 'model.onnx': bytes }, parameters: description.parameters, outputActivation: description.outputActivation };
    const request = resolveTrainingRequest(
      { model: 'torch-like', dataset: { id: 'images' }, epochs: 1, batchSize: N, optimizer: { name: 'sgd', learningRate: 0.1 }, checkpointEvery: 0 },
      { id: 'torch-like', name: 'torch-like', hash: 'torch-like' },
    );
    const dataset = images();
    const run = await runTraining(request, dataset, { measureTrainSplit: false }, artifact);

    const onnx = modelFormat('onnx');
    const before = onnx.storedParameters(artifact.files, artifact.parameters);
    const after = onnx.storedParameters(run.files, artifact.parameters);
    const tensor = (theta: Float32Array, name: string) => {
      const p = artifact.parameters.find((q) => q.name === name)!;
      return theta.subarray(p.offset, p.offset + p.size);
    };
    const batch = convStatistics(dataset, tensor(before, 'conv.weight'), tensor(before, 'conv.bias'));
    for (let o = 0; o < FILTERS; o++) {
      const mean0 = tensor(before, 'bn.running_mean')[o]!;
      const variance0 = tensor(before, 'bn.running_var')[o]!;
      expect(tensor(after, 'bn.running_mean')[o]).toBeCloseTo(0.9 * mean0 + 0.1 * batch[o]!.mean, 6);
      expect(tensor(after, 'bn.running_var')[o]).toBeCloseTo(0.9 * variance0 + 0.1 * batch[o]!.variance, 6);
    }
    // The trainable tensors moved; the graph is the upload's with new values.
    for (const name of ['conv.weight', 'bn.weight', 'fc1.weight', 'head.bias']) expect(tensor(after, name)).not.toEqual(tensor(before, name));
    expect(run.parameterCount).toBe(before.length);
    expect(describeOnnxModel(run.files['model.onnx']!).parameters).toEqual(description.parameters);
  }, 60_000);
});
