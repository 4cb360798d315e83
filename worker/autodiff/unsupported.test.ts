import { describe, expect, it } from 'vitest';
import { describeOnnxModel, onnx } from '../../contract/onnx-model.ts';
import { ContractError } from '../../contract/errors.ts';
import type { ModelArtifact } from '../engine/evaluator.ts';
import { floatTensor } from '../engine/onnx/torch-like-models.ts';
import { createGradientEngine, UnsupportedOperatorError } from './index.ts';

/** A model whose graph uses an operator without a gradient rule (Celu here: accepted by the upload allow-list, no rule yet). */
function modelWith(op: string): ModelArtifact {
  const info = (name: string, dims: (number | string)[]) =>
    onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } } });
  const graph = onnx.GraphProto.create({
    name: 'g',
    node: [
      onnx.NodeProto.create({ name: 'fc', opType: 'MatMul', input: ['x', 'w'], output: ['h'] }),
      onnx.NodeProto.create({ name: 'odd_activation', opType: op, input: ['h'], output: ['y'] }),
    ],
    initializer: [floatTensor('w', [3, 2], new Float32Array([0.1, 0.2, 0.3, -0.1, -0.2, 0.4]))],
    input: [info('x', ['batch', 3])],
    output: [info('y', ['batch', 2])],
  });
  const file = onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph })).finish();
  const description = describeOnnxModel(file);
  return { hash: op, format: 'onnx', files: { 'model.onnx': file }, parameters: description.parameters, outputActivation: description.outputActivation };
}

describe('an operator without a gradient rule', () => {
  it('gives a ContractError naming the operator and the node', async () => {
    const engine = await createGradientEngine(modelWith('Celu'), { parameters: 'weights', batchNorm: 'moving', loss: 'mse' });
    try {
      await engine.setData({ x: new Float32Array(6), inputShape: [3], y: new Float32Array(4), n: 2 });
      const theta = engine.initialParameters();
      // Graphs are built on first use: both entry points give the error.
      for (const call of [() => engine.lossAndGradient(theta), () => engine.hessianVectorProduct(theta, theta)]) {
        const error = await call().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ContractError);
        expect(error).toBeInstanceOf(UnsupportedOperatorError);
        expect((error as ContractError).field).toBe('model.onnx');
        expect((error as Error).message).toContain('operator Celu');
        expect((error as Error).message).toContain('"odd_activation"');
      }
    } finally {
      await engine.dispose();
    }
  });
});
