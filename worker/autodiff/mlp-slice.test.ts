import { describe, expect, it } from 'vitest';
import { describeOnnxModel, onnx } from '../../contract/onnx-model.ts';
import type { ModelArtifact } from '../engine/evaluator.ts';
import { floatTensor, intAttr } from '../engine/onnx/torch-like-models.ts';
import { createGradientEngine } from './index.ts';
import { values } from './ops/gradient-check.ts';

/**
 * Vertical slice: Gemm(transB=1) → Relu → MatMul → Add → Softmax with cross-entropy from logits,
 * against a float64 reference of the same network (finite differences of the mean loss for the
 * gradient, mixed second differences for uᵀHv).
 */

const IN = 4;
const HIDDEN = 6;
const CLASSES = 3;
const N = 10;

function model(): Uint8Array {
  const node = (opType: string, input: string[], output: string, attribute: InstanceType<typeof onnx.AttributeProto>[] = []) =>
    onnx.NodeProto.create({ name: output, opType, input, output: [output], attribute });
  const info = (name: string, dims: (number | string)[]) =>
    onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } } });
  const graph = onnx.GraphProto.create({
    name: 'mlp',
    node: [
      node('Gemm', ['x', 'fc1.weight', 'fc1.bias'], 'h', [intAttr('transB', 1)]),
      node('Relu', ['h'], 'r'),
      node('MatMul', ['r', 'head.weight'], 'm'),
      node('Add', ['m', 'head.bias'], 'logits'),
      node('Softmax', ['logits'], 'p', [intAttr('axis', 1)]),
    ],
    initializer: [
      floatTensor('fc1.weight', [HIDDEN, IN], Float32Array.from(values(HIDDEN * IN, 11, 0.8))),
      floatTensor('fc1.bias', [HIDDEN], Float32Array.from(values(HIDDEN, 12, 0.3))),
      floatTensor('head.weight', [HIDDEN, CLASSES], Float32Array.from(values(HIDDEN * CLASSES, 13, 0.8))),
      floatTensor('head.bias', [CLASSES], Float32Array.from(values(CLASSES, 14, 0.3))),
    ],
    input: [info('x', ['batch', IN])],
    output: [info('p', ['batch', CLASSES])],
  });
  return onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph })).finish();
}

/** Mean cross-entropy in float64; θ = [W1 (6×4), b1, W2 (6×3), b2]. */
function referenceLoss(theta: Float64Array, x: Float64Array, y: Int32Array): number {
  const W1 = 0;
  const b1 = W1 + HIDDEN * IN;
  const W2 = b1 + HIDDEN;
  const b2 = W2 + HIDDEN * CLASSES;
  let total = 0;
  for (let s = 0; s < N; s++) {
    const h = new Float64Array(HIDDEN);
    for (let j = 0; j < HIDDEN; j++) {
      let sum = theta[b1 + j]!;
      for (let i = 0; i < IN; i++) sum += theta[W1 + j * IN + i]! * x[s * IN + i]!;
      h[j] = Math.max(sum, 0);
    }
    const z = new Float64Array(CLASSES);
    for (let k = 0; k < CLASSES; k++) {
      let sum = theta[b2 + k]!;
      for (let j = 0; j < HIDDEN; j++) sum += h[j]! * theta[W2 + j * CLASSES + k]!;
      z[k] = sum;
    }
    const max = Math.max(...z);
    const lse = max + Math.log(z.reduce((a, v) => a + Math.exp(v - max), 0));
    total += lse - z[y[s]!]!;
  }
  return total / N;
}

describe('autodiff vertical slice (MLP, softmax cross-entropy from logits)', () => {
  it('gradient and Hessian-vector products match float64 finite differences', async () => {
    const file = model();
    const description = describeOnnxModel(file);
    const artifact: ModelArtifact = { hash: 'mlp', format: 'onnx', files: { 'model.onnx': file }, parameters: description.parameters, outputActivation: description.outputActivation };
    const x = values(N * IN, 21, 1.5);
    const y = Int32Array.from({ length: N }, (_, i) => i % CLASSES);
    const engine = await createGradientEngine(artifact, { parameters: 'trainable', batchNorm: 'moving', loss: 'sparse_categorical_crossentropy', batchSize: 4 });
    try {
      await engine.setData({ x: Float32Array.from(x), inputShape: [IN], y, n: N });
      const theta = engine.initialParameters();
      const theta64 = Float64Array.from(theta);
      const { loss, gradient } = await engine.lossAndGradient(theta);
      expect(Math.abs(loss - referenceLoss(theta64, x, y))).toBeLessThan(1e-6);
      const eps = 1e-6;
      const fd = new Float64Array(theta.length);
      for (let i = 0; i < theta.length; i++) {
        const keep = theta64[i]!;
        theta64[i] = keep + eps;
        const up = referenceLoss(theta64, x, y);
        theta64[i] = keep - eps;
        const down = referenceLoss(theta64, x, y);
        theta64[i] = keep;
        fd[i] = (up - down) / (2 * eps);
      }
      let err = 0;
      let ref = 0;
      for (let i = 0; i < fd.length; i++) {
        err += (gradient[i]! - fd[i]!) ** 2;
        ref += fd[i]! ** 2;
      }
      expect(Math.sqrt(err / ref)).toBeLessThan(1e-5);

      // uᵀ H v against the mixed second difference (steps of 1e-4; crossing a ReLU kink would break the agreement).
      const v = values(theta.length, 31);
      const u = values(theta.length, 32);
      const hv = await engine.hessianVectorProduct(theta, Float32Array.from(v));
      const h = 1e-4;
      const at = (a: number, b: number) => referenceLoss(theta64.map((t, i) => t + a * u[i]! + b * v[i]!), x, y);
      const second = (at(h, h) - at(h, -h) - at(-h, h) + at(-h, -h)) / (4 * h * h);
      const exact = hv.reduce((s, p, i) => s + p * u[i]!, 0);
      expect(Math.abs(exact - second) / Math.abs(second)).toBeLessThan(1e-4);
    } finally {
      await engine.dispose();
    }
  });
});
