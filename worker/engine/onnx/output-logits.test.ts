import { describe, expect, it } from 'vitest';
import { onnx } from '../../../contract/onnx-model.ts';
import { stripOutputActivation } from './output-logits.ts';
import { torchLikeModel } from './torch-like-models.ts';

type NodeProto = InstanceType<typeof onnx.NodeProto>;

function node(opType: string, input: string[], output: string): NodeProto {
  return onnx.NodeProto.create({ opType, input, output: [output] });
}

function graphWith(nodes: NodeProto[], output: string) {
  return onnx.ModelProto.create({ graph: onnx.GraphProto.create({ node: nodes, output: [onnx.ValueInfoProto.create({ name: output })] }) });
}

describe('stripOutputActivation', () => {
  it('makes the Softmax input the graph output when the Softmax produces it, and drops the Softmax', () => {
    const model = torchLikeModel();
    const result = stripOutputActivation(model, 'probabilities');
    expect(result).toEqual({ outputName: 'logits', stripped: 'softmax' });
    expect(model.graph!.output![0]!.name).toBe('logits');
    expect(model.graph!.node!.map((n) => n.opType)).not.toContain('Softmax');
  });

  it('rewires the first shape-only op after a Sigmoid, keeping the output name', () => {
    const model = graphWith([node('Gemm', ['x', 'w'], 'z'), node('Sigmoid', ['z'], 'p'), node('Flatten', ['p'], 'flat'), node('Identity', ['flat'], 'out')], 'out');
    expect(stripOutputActivation(model, 'out')).toEqual({ outputName: 'out', stripped: 'sigmoid' });
    expect(model.graph!.node!.map((n) => `${n.opType}(${n.input!.join(',')})`)).toEqual(['Gemm(x,w)', 'Flatten(z)', 'Identity(flat)']);
  });

  it('keeps a Softmax that something else still reads, and leaves logits outputs alone', () => {
    const shared = graphWith([node('Gemm', ['x', 'w'], 'z'), node('Softmax', ['z'], 'p'), node('Identity', ['p'], 'out'), node('ArgMax', ['p'], 'class')], 'out');
    expect(stripOutputActivation(shared, 'out').stripped).toBe('softmax');
    expect(shared.graph!.node!.map((n) => `${n.opType}(${n.input!.join(',')})`)).toEqual(['Gemm(x,w)', 'Softmax(z)', 'Identity(z)', 'ArgMax(p)']);
    const plain = graphWith([node('Gemm', ['x', 'w'], 'z'), node('Relu', ['z'], 'out')], 'out');
    expect(stripOutputActivation(plain, 'out')).toEqual({ outputName: 'out', stripped: null });
    expect(plain.graph!.node).toHaveLength(2);
  });
});
