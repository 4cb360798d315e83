import { describe, expect, it } from 'vitest';
import { describeOnnxModel, onnx } from '../../contract/onnx-model.ts';
import type { LossName } from '../../contract/index.ts';
import type { ModelArtifact } from '../engine/evaluator.ts';
import { OnnxEvaluator } from '../engine/onnx/evaluator.ts';
import { floatTensor, intAttr } from '../engine/onnx/torch-like-models.ts';
import { createGradientEngine } from './index.ts';
import { relativeError, values } from './ops/gradient-check.ts';

/**
 * Per-pixel (segmentation) losses in the gradient graphs: a linear per-pixel model z = x·W + b,
 * reshaped channels-last to [N, h, w, C] and ending in Sigmoid (C = 1) or Softmax (C = 3), so
 * that the loss, its gradient and (binary) its Hessian-vector product have closed forms in
 * float64: dL/dz = (σ(z) − t)/(N·P) or (softmax(z) − onehot(t))/(N·P), and H·v through
 * σ'(z) = σ(1 − σ). The evaluator's per-pixel loss (pixel-losses.ts) must agree too.
 */

const N = 4;
const H = 2;
const W = 3;
const P = H * W;
const FEATURES = 5;

function model(channels: number): ModelArtifact {
  const width = P * channels;
  const weight = values(FEATURES * width, 31 + channels, 0.8);
  const bias = values(width, 37 + channels, 0.3);
  const info = (name: string, dims: (number | string)[]) =>
    onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } } });
  const node = (opType: string, input: string[], output: string, attribute: InstanceType<typeof onnx.AttributeProto>[] = []) =>
    onnx.NodeProto.create({ name: `/${output}`, opType, input, output: [output], attribute });
  const graph = onnx.GraphProto.create({
    name: 'pixel_head',
    node: [
      node('MatMul', ['input', 'head.weight'], 'mm'),
      node('Add', ['mm', 'head.bias'], 'flat_logits'),
      node('Reshape', ['flat_logits', 'shape'], 'logits'),
      channels === 1 ? node('Sigmoid', ['logits'], 'output') : node('Softmax', ['logits'], 'output', [intAttr('axis', -1)]),
    ],
    initializer: [
      floatTensor('head.weight', [FEATURES, width], Float32Array.from(weight)),
      floatTensor('head.bias', [width], Float32Array.from(bias)),
      onnx.TensorProto.create({ name: 'shape', dims: [4], dataType: 7, int64Data: [-1, H, W, channels] }),
    ],
    input: [info('input', ['batch', FEATURES])],
    output: [info('output', ['batch', H, W, channels])],
  });
  const file = onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph })).finish();
  const description = describeOnnxModel(file);
  return { hash: `pixel-head-${channels}`, format: 'onnx', files: { 'model.onnx': file }, parameters: description.parameters, outputActivation: description.outputActivation };
}

const x = Float32Array.from(values(N * FEATURES, 41, 1));
const binaryLabels = Int32Array.from({ length: N * P }, (_, i) => (i * 7 + 3) % 5 < 2 ? 1 : 0);
const classLabels = Int32Array.from({ length: N * P }, (_, i) => (i * 5 + 1) % 3);

/** z, the loss and dL/dz in float64 from θ = [W (FEATURES × width), b (width)]. */
function reference(theta: Float32Array, channels: number, labels: Int32Array) {
  const width = P * channels;
  const z = new Float64Array(N * width);
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < width; j++) {
      let sum = theta[FEATURES * width + j]!;
      for (let f = 0; f < FEATURES; f++) sum += x[n * FEATURES + f]! * theta[f * width + j]!;
      z[n * width + j] = sum;
    }
  }
  let loss = 0;
  const dz = new Float64Array(N * width);
  for (let pixel = 0; pixel < N * P; pixel++) {
    const t = labels[pixel]!;
    if (channels === 1) {
      const v = z[pixel]!;
      const sigma = 1 / (1 + Math.exp(-v));
      loss += Math.max(v, 0) - v * t + Math.log1p(Math.exp(-Math.abs(v)));
      dz[pixel] = (sigma - t) / (N * P);
    } else {
      const row = z.subarray(pixel * channels, (pixel + 1) * channels);
      const max = Math.max(...row);
      const sumExp = row.reduce((a, v) => a + Math.exp(v - max), 0);
      loss += -(row[t]! - max - Math.log(sumExp));
      for (let c = 0; c < channels; c++) dz[pixel * channels + c] = (Math.exp(row[c]! - max) / sumExp - (c === t ? 1 : 0)) / (N * P);
    }
  }
  return { z, loss: loss / (N * P), dz };
}

/** dL/dθ from dL/dz: W gets xᵀ·dz, b the column sums. */
function chainToParameters(dz: Float64Array, width: number): Float64Array {
  const g = new Float64Array(FEATURES * width + width);
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < width; j++) {
      for (let f = 0; f < FEATURES; f++) g[f * width + j] += x[n * FEATURES + f]! * dz[n * width + j]!;
      g[FEATURES * width + j] += dz[n * width + j]!;
    }
  }
  return g;
}

const cases: { name: string; channels: number; loss: LossName; labels: Int32Array }[] = [
  { name: 'binary cross-entropy per pixel (sigmoid stripped)', channels: 1, loss: 'binary_crossentropy', labels: binaryLabels },
  { name: 'categorical cross-entropy per pixel over the channel axis (softmax stripped)', channels: 3, loss: 'sparse_categorical_crossentropy', labels: classLabels },
];

describe('per-pixel losses in the gradient graphs', () => {
  for (const { name, channels, loss, labels } of cases) {
    it(`${name}: the loss equals the closed form and the evaluator's, the gradient the closed form`, async () => {
      const artifact = model(channels);
      const data = { x, inputShape: [FEATURES], y: labels, n: N };
      const engine = await createGradientEngine(artifact, { parameters: 'trainable', batchNorm: 'moving', loss, batchSize: 3 });
      const evaluator = await OnnxEvaluator.create({ threads: 1 });
      try {
        await engine.setData(data);
        const theta = engine.initialParameters();
        const exact = reference(theta, channels, labels);
        const { loss: value, gradient } = await engine.lossAndGradient(theta);
        expect(Math.abs(value - exact.loss) / exact.loss).toBeLessThan(1e-5);
        expect(relativeError(gradient, chainToParameters(exact.dz, P * channels))).toBeLessThan(1e-5);

        await evaluator.load(artifact);
        await evaluator.setData(data);
        const evaluated = await evaluator.evaluate({ loss, batchSize: 64 });
        expect(Math.abs(evaluated.loss - exact.loss) / exact.loss).toBeLessThan(1e-5);
      } finally {
        await engine.dispose();
        evaluator.dispose();
      }
    });
  }

  it('binary per pixel: H·v equals the closed form xᵀ·[σ(1 − σ)·(x·v_W + v_b)]/(N·P)', async () => {
    const artifact = model(1);
    const engine = await createGradientEngine(artifact, { parameters: 'trainable', batchNorm: 'moving', loss: 'binary_crossentropy', batchSize: 3 });
    try {
      await engine.setData({ x, inputShape: [FEATURES], y: binaryLabels, n: N });
      const theta = engine.initialParameters();
      const v = Float32Array.from(values(theta.length, 43, 1));
      const { z } = reference(theta, 1, binaryLabels);
      const dzTangent = new Float64Array(N * P);
      for (let n = 0; n < N; n++) {
        for (let j = 0; j < P; j++) {
          let zTangent = v[FEATURES * P + j]!;
          for (let f = 0; f < FEATURES; f++) zTangent += x[n * FEATURES + f]! * v[f * P + j]!;
          const sigma = 1 / (1 + Math.exp(-z[n * P + j]!));
          dzTangent[n * P + j] = (sigma * (1 - sigma) * zTangent) / (N * P);
        }
      }
      expect(relativeError(await engine.hessianVectorProduct(theta, v), chainToParameters(dzTangent, P))).toBeLessThan(1e-5);
    } finally {
      await engine.dispose();
    }
  });
});
