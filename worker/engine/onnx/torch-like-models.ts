import { onnx } from '../../../contract/onnx-model.ts';
import { fixedNumbers } from '../../../test/engine-helpers.ts';
import { uniformStream } from '../../numeric/rng.ts';

/**
 * Test support: ONNX graphs laid out the way torch.onnx.export writes them (NCHW input, Conv W
 * [out, in, kh, kw], Gemm transB=1 for nn.Linear), built with onnx-proto. Not used at run time.
 */

export interface TorchLikeTensor {
  name: string;
  dims: number[];
  values: Float32Array;
}

type Attribute = InstanceType<typeof onnx.AttributeProto>;

export function intAttr(name: string, value: number | number[]): Attribute {
  const T = onnx.AttributeProto.AttributeType;
  return Array.isArray(value) ? onnx.AttributeProto.create({ name, type: T.INTS, ints: value }) : onnx.AttributeProto.create({ name, type: T.INT, i: value });
}

export function floatTensor(name: string, dims: number[], values: Float32Array): InstanceType<typeof onnx.TensorProto> {
  return onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(values.slice().buffer) });
}

function valueInfo(name: string, dims: (number | string)[]): InstanceType<typeof onnx.ValueInfoProto> {
  return onnx.ValueInfoProto.create({
    name,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
  });
}

/** The parameters of torchLikeModel, in initializer order. */
export function torchLikeParameters(): TorchLikeTensor[] {
  const shapes: [string, number[]][] = [
    ['conv.weight', [4, 3, 3, 3]],
    ['conv.bias', [4]],
    ['bn.weight', [4]],
    ['bn.bias', [4]],
    ['bn.running_mean', [4]],
    ['bn.running_var', [4]],
    ['fc1.weight', [5, 4]],
    ['fc1.bias', [5]],
    ['fc2.weight', [5, 6]],
    ['fc2.bias', [6]],
    ['head.weight', [6, 3]],
    ['head.bias', [3]],
  ];
  return shapes.map(([name, dims], k) => {
    const values = fixedNumbers(dims.reduce((n, d) => n * d, 1), 40 + k).map((v) => 0.5 * v);
    return { name, dims, values: name === 'bn.running_var' ? values.map((v) => 0.5 + Math.abs(v)) : values };
  });
}

/**
 * input [N, 3, 8, 8] → Conv(4, 3×3, pad 1) → BatchNormalization → Relu → GlobalAveragePool →
 * Flatten → Gemm(transB=1, [5, 4]) → Relu → Gemm(transB=0, [5, 6]) → MatMul([6, 3]) → Add → Softmax.
 * `parameters` replaces the initializer values (same names and shapes); output 'logits' leaves the
 * Softmax out and makes its input the graph output.
 */
export function torchLikeModel(parameters: TorchLikeTensor[] = torchLikeParameters(), output: 'probabilities' | 'logits' = 'probabilities'): InstanceType<typeof onnx.ModelProto> {
  const node = (opType: string, input: string[], output: string, attribute: Attribute[] = []) =>
    onnx.NodeProto.create({ name: `/${output}/${opType}`, opType, input, output: [output], attribute });
  const nodes = [
    node('Conv', ['input', 'conv.weight', 'conv.bias'], 'conv', [intAttr('kernel_shape', [3, 3]), intAttr('pads', [1, 1, 1, 1])]),
    node('BatchNormalization', ['conv', 'bn.weight', 'bn.bias', 'bn.running_mean', 'bn.running_var'], 'bn'),
    node('Relu', ['bn'], 'relu'),
    node('GlobalAveragePool', ['relu'], 'pool'),
    node('Flatten', ['pool'], 'flat', [intAttr('axis', 1)]),
    node('Gemm', ['flat', 'fc1.weight', 'fc1.bias'], 'fc1', [intAttr('transB', 1)]),
    node('Relu', ['fc1'], 'fc1_relu'),
    node('Gemm', ['fc1_relu', 'fc2.weight', 'fc2.bias'], 'fc2', [intAttr('transB', 0)]),
    node('MatMul', ['fc2', 'head.weight'], 'head'),
    node('Add', ['head', 'head.bias'], 'logits'),
    node('Softmax', ['logits'], 'probabilities', [intAttr('axis', 1)]),
  ].slice(0, output === 'logits' ? -1 : undefined);
  return onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'pytorch',
    opsetImport: [{ domain: '', version: 17 }],
    graph: onnx.GraphProto.create({
      name: 'main_graph',
      node: nodes,
      initializer: parameters.map((p) => floatTensor(p.name, p.dims, p.values)),
      input: [valueInfo('input', ['batch', 3, 8, 8])],
      output: [valueInfo(output, ['batch', 3])],
    }),
  });
}

export function encodeModel(model: InstanceType<typeof onnx.ModelProto>): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

/**
 * input [N, 2] → Gemm(transB=1, [hidden, 2]) → `activation` → Gemm(transB=1, [2, hidden]) →
 * Softmax, as torch.onnx.export writes an nn.Sequential MLP; weights uniform from `seed` (scales
 * 1.5, 0.5, 1 and 0.1 for fc1.weight, fc1.bias, fc2.weight, fc2.bias). Serialized.
 */
export function torchMlp({ hidden, activation, seed }: { hidden: number; activation: string; seed: number }): Uint8Array {
  const uniform = uniformStream(seed);
  const values = (n: number, scale: number) => Float32Array.from({ length: n }, () => scale * (2 * uniform() - 1));
  const node = (opType: string, input: string[], output: string, attribute: Attribute[] = []) =>
    onnx.NodeProto.create({ name: `/${output}/${opType}`, opType, input, output: [output], attribute });
  const graph = onnx.GraphProto.create({
    name: 'main_graph',
    node: [
      node('Gemm', ['input', 'fc1.weight', 'fc1.bias'], 'fc1', [intAttr('transB', 1)]),
      node(activation, ['fc1'], 'hidden'),
      node('Gemm', ['hidden', 'fc2.weight', 'fc2.bias'], 'logits', [intAttr('transB', 1)]),
      node('Softmax', ['logits'], 'probabilities', [intAttr('axis', 1)]),
    ],
    initializer: [
      floatTensor('fc1.weight', [hidden, 2], values(hidden * 2, 1.5)),
      floatTensor('fc1.bias', [hidden], values(hidden, 0.5)),
      floatTensor('fc2.weight', [2, hidden], values(2 * hidden, 1)),
      floatTensor('fc2.bias', [2], values(2, 0.1)),
    ],
    input: [valueInfo('input', ['batch', 2])],
    output: [valueInfo('probabilities', ['batch', 2])],
  });
  return encodeModel(onnx.ModelProto.create({ irVersion: 8, producerName: 'pytorch', opsetImport: [{ domain: '', version: 17 }], graph }));
}
