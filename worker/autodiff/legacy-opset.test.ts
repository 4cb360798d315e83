import { describe, expect, it } from 'vitest';
import { describeOnnxModel, onnx } from '../../contract/onnx-model.ts';
import type { ModelArtifact } from '../engine/evaluator.ts';
import { floatTensor, intAttr } from '../engine/onnx/torch-like-models.ts';
import { createGradientEngine } from './index.ts';
import { values } from './ops/gradient-check.ts';

/**
 * An opset-11 export (axes as attributes, Softmax with the coerced-2-D semantics) is upgraded to
 * the opset-13 forms the rules are written for. Softmax regression has a closed-form gradient:
 * ∂L/∂W = xᵀ(softmax(xW) − Y) / N.
 */
const N = 6;
const IN = 4;
const K = 3;

describe('models exported at opset < 13', () => {
  it('differentiate like their opset-13 form (closed-form softmax regression gradient)', async () => {
    const w = Float32Array.from(values(IN * K, 1, 0.8));
    const info = (name: string, dims: (number | string)[]) =>
      onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } } });
    const node = (opType: string, input: string[], output: string, attribute: InstanceType<typeof onnx.AttributeProto>[] = []) =>
      onnx.NodeProto.create({ name: output, opType, input, output: [output], attribute });
    const graph = onnx.GraphProto.create({
      name: 'legacy',
      node: [
        node('MatMul', ['x', 'w'], 'z'),
        node('Unsqueeze', ['z'], 'z3', [intAttr('axes', [1])]),
        node('Squeeze', ['z3'], 'z2', [intAttr('axes', [1])]),
        node('Softmax', ['z2'], 'p', [intAttr('axis', 1)]),
      ],
      initializer: [floatTensor('w', [IN, K], w)],
      input: [info('x', ['batch', IN])],
      output: [info('p', ['batch', K])],
    });
    const file = onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 6, opsetImport: [{ domain: '', version: 11 }], graph })).finish();
    const description = describeOnnxModel(file);
    const artifact: ModelArtifact = { hash: 'legacy', format: 'onnx', files: { 'model.onnx': file }, parameters: description.parameters, outputActivation: description.outputActivation };
    const x = values(N * IN, 2, 1.5);
    const y = Int32Array.from({ length: N }, (_, i) => i % K);
    const engine = await createGradientEngine(artifact, { parameters: 'weights', batchNorm: 'moving', loss: 'sparse_categorical_crossentropy' });
    try {
      await engine.setData({ x: Float32Array.from(x), inputShape: [IN], y, n: N });
      const { gradient } = await engine.lossAndGradient(w);
      const expected = new Float64Array(IN * K);
      for (let s = 0; s < N; s++) {
        const z = Array.from({ length: K }, (_, k) => Array.from({ length: IN }, (_, i) => x[s * IN + i]! * w[i * K + k]!).reduce((a, b) => a + b, 0));
        const max = Math.max(...z);
        const e = z.map((v) => Math.exp(v - max));
        const sum = e.reduce((a, b) => a + b, 0);
        for (let i = 0; i < IN; i++) for (let k = 0; k < K; k++) expected[i * K + k] += (x[s * IN + i]! * (e[k]! / sum - (y[s] === k ? 1 : 0))) / N;
      }
      for (let i = 0; i < expected.length; i++) expect(gradient[i]!).toBeCloseTo(expected[i]!, 5);
    } finally {
      await engine.dispose();
    }
  });
});
