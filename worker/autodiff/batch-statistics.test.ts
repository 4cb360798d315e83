import { describe, expect, it } from 'vitest';
import { describeOnnxModel, onnx } from '../../contract/onnx-model.ts';
import type { ModelArtifact } from '../engine/evaluator.ts';
import { floatTensor, intAttr } from '../engine/onnx/torch-like-models.ts';
import { createGradientEngine } from './index.ts';
import { values } from './ops/gradient-check.ts';

/**
 * batchNorm 'batch' (training): BN normalizes each run's rows with their own mean and biased
 * variance, the engine returns those statistics at the moving-statistics entries, and the
 * gradient (through the statistics) matches float64 finite differences of the same computation.
 * x [N, 2, 2, 2] → BN → GlobalAveragePool → Flatten → MatMul [2, 3] → Softmax.
 */
const N = 4;
const C = 2;
const HW = 4;
const K = 3;

function model(): Uint8Array {
  const info = (name: string, dims: (number | string)[]) =>
    onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } } });
  const node = (opType: string, input: string[], output: string, attribute: InstanceType<typeof onnx.AttributeProto>[] = []) =>
    onnx.NodeProto.create({ name: output, opType, input, output: [output], attribute });
  const graph = onnx.GraphProto.create({
    name: 'bn',
    node: [
      node('BatchNormalization', ['x', 'bn.weight', 'bn.bias', 'bn.running_mean', 'bn.running_var'], 'b'),
      node('GlobalAveragePool', ['b'], 'g'),
      node('Flatten', ['g'], 'f', [intAttr('axis', 1)]),
      node('MatMul', ['f', 'fc.weight'], 'z'),
      node('Softmax', ['z'], 'p', [intAttr('axis', 1)]),
    ],
    initializer: [
      floatTensor('bn.weight', [C], Float32Array.from(values(C, 1, 0.3, 1))),
      floatTensor('bn.bias', [C], Float32Array.from(values(C, 2, 0.3))),
      floatTensor('bn.running_mean', [C], new Float32Array([5, -5])),
      floatTensor('bn.running_var', [C], new Float32Array([9, 9])),
      floatTensor('fc.weight', [C, K], Float32Array.from(values(C * K, 3, 1.5))),
    ],
    input: [info('x', ['batch', C, 2, 2])],
    output: [info('p', ['batch', K])],
  });
  return onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph })).finish();
}

/** θ = [γ (2), β (2), moving mean, moving var, W (2×3)]; the moving statistics are unused in batch mode. */
function referenceLoss(theta: Float64Array, x: Float64Array, y: Int32Array): number {
  const stats = Array.from({ length: C }, (_, c) => {
    const v: number[] = [];
    for (let n = 0; n < N; n++) for (let k = 0; k < HW; k++) v.push(x[(n * C + c) * HW + k]!);
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    return { mean, variance: v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length };
  });
  let total = 0;
  for (let n = 0; n < N; n++) {
    const f = Array.from({ length: C }, (_, c) => {
      let s = 0;
      for (let k = 0; k < HW; k++) s += ((x[(n * C + c) * HW + k]! - stats[c]!.mean) / Math.sqrt(stats[c]!.variance + 1e-5)) * theta[c]! + theta[2 + c]!;
      return s / HW;
    });
    const z = Array.from({ length: K }, (_, k) => f.reduce((s, v, c) => s + v * theta[8 + c * K + k]!, 0));
    const max = Math.max(...z);
    total += max + Math.log(z.reduce((s, v) => s + Math.exp(v - max), 0)) - z[y[n]!]!;
  }
  return total / N;
}

describe('batch-statistics BatchNormalization', () => {
  it('returns the batch mean and biased variance, and the gradient through them', async () => {
    const file = model();
    const description = describeOnnxModel(file);
    const artifact: ModelArtifact = { hash: 'bn', format: 'onnx', files: { 'model.onnx': file }, parameters: description.parameters, outputActivation: description.outputActivation };
    const x = values(N * C * HW, 4, 2, 0.5);
    const y = Int32Array.from({ length: N }, (_, i) => i % K);
    const engine = await createGradientEngine(artifact, { parameters: 'trainable', batchNorm: 'batch', loss: 'sparse_categorical_crossentropy' });
    try {
      await engine.setData({ x: Float32Array.from(x), inputShape: [C, 2, 2], y, n: N });
      const theta = engine.initialParameters();
      const { loss, gradient, batchStatistics } = await engine.lossAndGradient(theta);
      expect(batchStatistics).toHaveLength(1);
      const mean = description.parameters.find((p) => p.role === 'bn_moving_mean')!;
      const variance = description.parameters.find((p) => p.role === 'bn_moving_variance')!;
      for (let c = 0; c < C; c++) {
        const v: number[] = [];
        for (let n = 0; n < N; n++) for (let k = 0; k < HW; k++) v.push(x[(n * C + c) * HW + k]!);
        const m = v.reduce((a, b) => a + b, 0) / v.length;
        expect(batchStatistics![0]![mean.offset + c]!).toBeCloseTo(m, 5);
        expect(batchStatistics![0]![variance.offset + c]!).toBeCloseTo(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length, 4);
      }
      const theta64 = Float64Array.from(theta);
      expect(loss).toBeCloseTo(referenceLoss(theta64, x, y), 5);
      for (let i = 0; i < theta.length; i++) {
        if (!engine.mask[i]) continue;
        const keep = theta64[i]!;
        theta64[i] = keep + 1e-6;
        const up = referenceLoss(theta64, x, y);
        theta64[i] = keep - 1e-6;
        const down = referenceLoss(theta64, x, y);
        theta64[i] = keep;
        expect(gradient[i]!).toBeCloseTo((up - down) / 2e-6, 5);
      }
    } finally {
      await engine.dispose();
    }
  });
});
