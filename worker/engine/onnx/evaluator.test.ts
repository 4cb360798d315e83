import { readFile } from 'node:fs/promises';
import * as tf from '../tfjs/tf.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LossName, ParameterInfo } from '../../../contract/index.ts';
import { builtinDataset } from '../../datasets/builtin.ts';
import { evaluationData } from '../../datasets/select.ts';
import type { EvalData, Evaluator, ModelArtifact } from '../evaluator.ts';
import { layersModelArtifact } from '../tfjs/artifact.ts';
import { TfjsEvaluator } from '../tfjs/evaluator.ts';
import { saveLayersModel } from '../tfjs/save-model.ts';
import { fixedNumbers } from '../../../test/engine-helpers.ts';
import * as ort from 'onnxruntime-node';
import { describeOnnxModel } from '../../../contract/onnx-model.ts';
import { OnnxEvaluator } from './evaluator.ts';
import { encodeModel, torchLikeModel, torchLikeParameters } from './torch-like-models.ts';

/**
 * A 2×3 grid of points θ + a·δ + b·η, with directions scaled to θ's magnitude. BN moving
 * variances stay put: a negative variance gives NaN on onnxruntime but a finite number on tfjs-wasm.
 */
function gridPoints(theta: Float32Array, parameters: ParameterInfo[]): Float32Array[] {
  const fixed = new Uint8Array(theta.length);
  for (const p of parameters) if (p.role === 'bn_moving_variance') fixed.fill(1, p.offset, p.offset + p.size);
  const direction = (seed: number) => fixedNumbers(theta.length, seed).map((v, i) => (fixed[i] ? 0 : v * (Math.abs(theta[i]!) + 0.05)));
  const delta = direction(11);
  const eta = direction(12);
  const points: Float32Array[] = [];
  for (const b of [-0.5, 0.5]) {
    for (const a of [-1, 0, 0.75]) points.push(theta.map((t, i) => t + a * delta[i]! + b * eta[i]!));
  }
  return points;
}

async function surface(evaluator: Evaluator, artifact: ModelArtifact, data: EvalData, loss: LossName, batchSize: number) {
  await evaluator.load(artifact);
  await evaluator.setData(data);
  const values: { loss: number; accuracy: number | null }[] = [];
  for (const point of gridPoints(evaluator.storedParameters(), artifact.parameters)) {
    await evaluator.setParameters(point);
    values.push(await evaluator.evaluate({ loss, batchSize }));
  }
  return values;
}

function expectSameSurface(actual: { loss: number; accuracy: number | null }[], expected: { loss: number; accuracy: number | null }[]): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((point, i) => {
    expect(Math.abs(point.loss - expected[i]!.loss)).toBeLessThanOrEqual(1e-5 * Math.abs(expected[i]!.loss));
    expect(point.accuracy).toBeCloseTo(expected[i]!.accuracy!, 12);
  });
}

/** Conv (odd size, stride-2 "same"), BN with non-trivial statistics, Add, Concatenate, both pools, Flatten and Dense. */
function smallConvNet(): tf.LayersModel {
  const input = tf.input({ shape: [7, 7, 3], name: 'image' });
  const stem = tf.layers.conv2d({ name: 'stem', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(input) as tf.SymbolicTensor;
  let f = tf.layers.conv2d({ name: 'conv1', filters: 4, kernelSize: 3, padding: 'same', useBias: false }).apply(stem) as tf.SymbolicTensor;
  f = tf.layers.batchNormalization({ name: 'bn1', epsilon: 1e-5 }).apply(f) as tf.SymbolicTensor;
  f = tf.layers.reLU({ name: 'relu1' }).apply(f) as tf.SymbolicTensor;
  const sum = tf.layers.add({ name: 'add' }).apply([f, stem]) as tf.SymbolicTensor;
  const joined = tf.layers.concatenate({ name: 'concat' }).apply([sum, input]) as tf.SymbolicTensor;
  const down = tf.layers.conv2d({ name: 'down', filters: 6, kernelSize: 3, strides: 2, padding: 'same' }).apply(joined) as tf.SymbolicTensor;
  const bn2 = tf.layers.batchNormalization({ name: 'bn2' }).apply(down) as tf.SymbolicTensor;
  const pooled = tf.layers.maxPooling2d({ name: 'pool', poolSize: 2, padding: 'same' }).apply(bn2) as tf.SymbolicTensor;
  const averaged = tf.layers.averagePooling2d({ name: 'avg', poolSize: 2, strides: 1, padding: 'same' }).apply(pooled) as tf.SymbolicTensor;
  const flat = tf.layers.flatten({ name: 'flatten' }).apply(averaged) as tf.SymbolicTensor;
  const hidden = tf.layers.dense({ name: 'hidden', units: 8, activation: 'tanh' }).apply(flat) as tf.SymbolicTensor;
  const dropped = tf.layers.dropout({ name: 'drop', rate: 0.5 }).apply(hidden) as tf.SymbolicTensor;
  const output = tf.layers.dense({ name: 'classifier', units: 3, activation: 'softmax' }).apply(dropped) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: output, name: 'small_conv' });
  // Random weights everywhere, BN variances positive and away from 1 so that every BN term matters.
  model.setWeights(
    model.weights.map((w, k) => {
      const values = fixedNumbers(w.shape.reduce<number>((n, d) => n * (d ?? 1), 1), 100 + k);
      const positive = w.name.includes('moving_variance');
      return tf.tensor(positive ? values.map((v) => 0.5 + Math.abs(v)) : values.map((v) => 0.6 * v), w.shape as number[]);
    }),
  );
  return model;
}

let tfjs: TfjsEvaluator;
let onnxEngine: OnnxEvaluator;
beforeAll(async () => {
  tfjs = await TfjsEvaluator.create({ backend: 'wasm' });
  onnxEngine = await OnnxEvaluator.create();
});
afterAll(() => {
  tfjs.dispose();
  onnxEngine.dispose();
});

describe('onnx engine', () => {
  it('reports onnxruntime on the cpu', () => {
    expect(onnxEngine.info).toMatchObject({ name: 'onnx', backend: 'onnxruntime-cpu' });
  });

  it('gives the tfjs surface of a conv net with BN, Add and Concatenate to 1e-5 relative', async () => {
    const model = smallConvNet();
    const artifact = layersModelArtifact(await saveLayersModel(model), 'small-conv');
    model.dispose();
    const n = 37;
    const data: EvalData = {
      x: fixedNumbers(n * 7 * 7 * 3, 5),
      inputShape: [7, 7, 3],
      y: Int32Array.from({ length: n }, (_, i) => (i * 7) % 3),
      n,
    };
    for (const loss of ['sparse_categorical_crossentropy', 'mse'] as const) {
      const points = loss === 'mse' ? { ...data, y: fixedNumbers(n * 3, 9) } : data;
      const expected = await surface(tfjs, artifact, points, loss, 16);
      // The points differ, so a constant answer would not pass.
      expect(new Set(expected.map((p) => p.loss)).size).toBe(expected.length);
      for (const parameterFeed of ['initializers', 'inputs', 'auto'] as const) {
        const engine = await OnnxEvaluator.create({ parameterFeed });
        expectSameSurface(await surface(engine, artifact, points, loss, 10), expected);
        expect(engine.parameterFeed).toEqual(parameterFeed === 'auto' ? expect.stringMatching(/^(initializers|inputs)$/) : parameterFeed);
        engine.dispose();
      }
    }
  });

  it('gives the tfjs surface of a Sequential model with a sigmoid output (binary cross-entropy) to 1e-5 relative', async () => {
    const model = tf.sequential({
      name: 'sequential_binary',
      layers: [
        tf.layers.flatten({ inputShape: [4, 4, 2] }),
        tf.layers.dense({ units: 6, activation: 'elu' }),
        tf.layers.leakyReLU({ alpha: 0.2 }),
        tf.layers.dense({ units: 1, activation: 'sigmoid' }),
      ],
    });
    const artifact = layersModelArtifact(await saveLayersModel(model), 'sequential');
    model.dispose();
    const n = 25;
    const data: EvalData = { x: fixedNumbers(n * 32, 8), inputShape: [4, 4, 2], y: Int32Array.from({ length: n }, (_, i) => i % 2), n };
    const expected = await surface(tfjs, artifact, data, 'binary_crossentropy', 7);
    expectSameSurface(await surface(onnxEngine, artifact, data, 'binary_crossentropy', 7), expected);
  });

  it('gives the tfjs surface of the demo CNN fixture to 1e-5 relative', async () => {
    const dir = new URL('../../../fixtures/models/demo-cnn-skip/', import.meta.url);
    const files = { 'model.json': await readFile(new URL('model.json', dir)), 'weights.bin': await readFile(new URL('weights.bin', dir)) };
    const artifact = layersModelArtifact(files, 'demo-cnn-skip');
    const { data } = evaluationData(builtinDataset('mnist'), 'test', 300, 1);
    const expected = await surface(tfjs, artifact, data, 'categorical_crossentropy', 128);
    const actual = await surface(onnxEngine, artifact, data, 'categorical_crossentropy', 128);
    expectSameSurface(actual, expected);
  });

  it('keeps one live session and a fixed set of input tensors across evaluations', async () => {
    const model = smallConvNet();
    const artifact = layersModelArtifact(await saveLayersModel(model), 'small-conv');
    model.dispose();
    const n = 20;
    const onnxEngine = await OnnxEvaluator.create({ parameterFeed: 'initializers' });
    await onnxEngine.load(artifact);
    await onnxEngine.setData({ x: fixedNumbers(n * 147, 3), inputShape: [7, 7, 3], y: new Int32Array(n), n });
    const theta = onnxEngine.storedParameters();
    await onnxEngine.evaluate({ loss: 'sparse_categorical_crossentropy', batchSize: 8 });
    const before = onnxEngine.resources();
    for (const point of gridPoints(theta, artifact.parameters)) {
      await onnxEngine.setParameters(point);
      await onnxEngine.evaluate({ loss: 'sparse_categorical_crossentropy', batchSize: 8 });
    }
    const after = onnxEngine.resources();
    expect(after.liveSessions).toBe(1);
    expect(after.inputTensors).toBe(before.inputTensors);
    expect(after.sessionsCreated).toBe(before.sessionsCreated! + 6);
    onnxEngine.dispose();
  });

  it('evaluates an uploaded ONNX model at new parameters as if the file had been exported with them', async () => {
    const bytes = encodeModel(torchLikeModel());
    const description = describeOnnxModel(bytes);
    const artifact: ModelArtifact = { hash: 'torch-like', format: 'onnx', files: { 'model.onnx': bytes }, parameters: description.parameters, outputActivation: description.outputActivation };
    const n = 9;
    // Datasets are NHWC; the NCHW graph gets them transposed.
    const nhwc = fixedNumbers(n * 8 * 8 * 3, 21);
    const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
    await onnxEngine.load(artifact);
    await onnxEngine.setData({ x: nhwc, inputShape: [8, 8, 3], y: labels, n });
    const theta = onnxEngine.storedParameters();
    expect(Array.from(theta.subarray(0, 5))).toEqual(Array.from(torchLikeParameters()[0]!.values.subarray(0, 5)));
    const nchw = new Float32Array(nhwc.length);
    for (let s = 0; s < n; s++) for (let p = 0; p < 64; p++) for (let c = 0; c < 3; c++) nchw[s * 192 + c * 64 + p] = nhwc[s * 192 + p * 3 + c]!;
    for (const point of gridPoints(theta, description.parameters).slice(0, 3)) {
      await onnxEngine.setParameters(point);
      const result = await onnxEngine.evaluate({ loss: 'sparse_categorical_crossentropy', batchSize: 4 });
      // Reference: a model file written with the point's values, run directly.
      const tensors = torchLikeParameters().map((t) => {
        const p = description.parameters.find((q) => q.name === t.name)!;
        return { ...t, values: point.slice(p.offset, p.offset + p.size) };
      });
      // The method changed (method.md, "Losses"): the reference is cross-entropy from the logits
      // (the Softmax's input, as the file's logits variant outputs them), no longer from clipped probabilities.
      const session = await ort.InferenceSession.create(encodeModel(torchLikeModel(tensors, 'logits')));
      const output = (await session.run({ input: new ort.Tensor('float32', nchw, [n, 3, 8, 8]) })).logits!.data as Float32Array;
      await session.release();
      let loss = 0;
      for (let s = 0; s < n; s++) {
        const z = Array.from(output.subarray(s * 3, s * 3 + 3));
        const max = Math.max(...z);
        loss += max + Math.log(z.reduce((sum, v) => sum + Math.exp(v - max), 0)) - z[labels[s]!]!;
      }
      expect(Math.abs(result.loss - loss / n)).toBeLessThanOrEqual(1e-6 * (loss / n));
    }
  });

  it('computes cross-entropy from the logits of a Softmax-output upload: the same losses as its logits-output twin, rising past 16.1 in the far field', async () => {
    const n = 9;
    const data = { x: fixedNumbers(n * 8 * 8 * 3, 22), inputShape: [8, 8, 3], y: Int32Array.from({ length: n }, (_, i) => (i * 2) % 3), n };
    const losses: number[][] = [];
    for (const output of ['probabilities', 'logits'] as const) {
      const bytes = encodeModel(torchLikeModel(torchLikeParameters(), output));
      const description = describeOnnxModel(bytes);
      await onnxEngine.load({ hash: `torch-like-${output}`, format: 'onnx', files: { 'model.onnx': bytes }, parameters: description.parameters, outputActivation: description.outputActivation });
      await onnxEngine.setData(data);
      const theta = onnxEngine.storedParameters();
      const own: number[] = [];
      // Scaling the last layer's weights and bias by k scales the logits by k: far from θ*.
      const head = description.parameters.filter((p) => p.name.startsWith('head.'));
      for (const k of [1, 200, 2000]) {
        const point = theta.slice();
        for (const p of head) for (let i = p.offset; i < p.offset + p.size; i++) point[i]! *= k;
        await onnxEngine.setParameters(point);
        own.push((await onnxEngine.evaluate({ loss: 'sparse_categorical_crossentropy' })).loss);
      }
      losses.push(own);
    }
    expect(losses[0]).toEqual(losses[1]);
    expect(losses[0]![1]!).toBeGreaterThan(16.2);
    expect(losses[0]![2]!).toBeGreaterThan(5 * losses[0]![1]!);
  });
});
