import * as ort from 'onnxruntime-node';
import { onnx, type OnnxAttributeProto, type OnnxModelProto, type OnnxNodeProto, type OnnxTensorProto } from '../../contract/onnx-model.ts';
import { dtypeOfCode, Graph, sizeOf, type AttributeValue, type DType, type Node, type Tensor } from './graph.ts';
import { RULES } from './registry.ts';
import { RuleLimitation, UnsupportedOperatorError } from './rules.ts';

/**
 * From a serialized ONNX model to the shaped IR the transforms work on: decode (parameters
 * become graph inputs), discover every value's shape and type by running the graph once in
 * onnxruntime at the batch size the graph is built for, fold everything that does not depend on
 * the data or the parameters (Shape → Gather → Concat → Reshape chains become constants), and
 * lower composite operators (BatchNormalization, Gemm, ...) into the ones that carry rules.
 */

/** Rules are written against opset 17 semantics (ReduceSum axes as an input, ScatterElements with reduction). */
export const MIN_OPSET = 17;

export interface ForwardModel {
  /** The model's own opset (discovery runs at it). */
  opset: number;
  nodes: Node[];
  constants: Map<string, Tensor>;
  dataInput: string;
  output: string;
  /** Parameter initializers, now graph inputs, with their dims. */
  parameters: Map<string, number[]>;
}

function decodeAttribute(a: OnnxAttributeProto & { s?: Uint8Array; floats?: number[]; t?: OnnxTensorProto | null }): AttributeValue | Tensor {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.type) {
    case T.INT:
      return a.i;
    case T.INTS:
      return a.ints;
    case T.FLOAT:
      return { float: a.f };
    case T.FLOATS:
      return { floats: a.floats ?? [] };
    case T.STRING:
      return new TextDecoder().decode(a.s ?? new Uint8Array());
    case T.TENSOR:
      return decodeTensor(a.t!);
    default:
      throw new Error(`attribute "${a.name}" has unsupported type ${a.type}`);
  }
}

export function decodeTensor(t: OnnxTensorProto): Tensor {
  const dtype = dtypeOfCode(t.dataType);
  const count = sizeOf(t.dims);
  if (t.rawData.length > 0) {
    const bytes = new Uint8Array(t.rawData).slice();
    const buffer = bytes.buffer;
    const data =
      dtype === 'float32' ? new Float32Array(buffer) :
      dtype === 'int64' ? new BigInt64Array(buffer) :
      dtype === 'int32' ? new Int32Array(buffer) :
      dtype === 'float64' ? new Float64Array(buffer) :
      dtype === 'int8' ? new Int8Array(buffer) : new Uint8Array(buffer);
    return { dtype, dims: [...t.dims], data };
  }
  switch (dtype) {
    case 'float32':
      return { dtype, dims: [...t.dims], data: Float32Array.from(t.floatData) };
    case 'float64':
      return { dtype, dims: [...t.dims], data: Float64Array.from(t.doubleData) };
    case 'int64':
      return { dtype, dims: [...t.dims], data: BigInt64Array.from(t.int64Data.map((v) => BigInt(v))) };
    case 'int32':
      return { dtype, dims: [...t.dims], data: Int32Array.from(t.int32Data) };
    case 'int8':
      return { dtype, dims: [...t.dims], data: Int8Array.from(t.int32Data) };
    default:
      return { dtype, dims: [...t.dims], data: Uint8Array.from(t.int32Data.length === count ? t.int32Data : new Array(count).fill(0)) };
  }
}

/** Decode a model; the named initializers become graph inputs (θ changes with every call). */
export function parseOnnx(bytes: Uint8Array, parameterNames: ReadonlySet<string>): ForwardModel {
  const model = onnx.ModelProto.toObject(onnx.ModelProto.decode(bytes), { longs: Number, defaults: true, arrays: true }) as OnnxModelProto;
  const graph = model.graph!;
  const opset = model.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 13;
  const constants = new Map<string, Tensor>();
  const parameters = new Map<string, number[]>();
  for (const t of graph.initializer) {
    if (parameterNames.has(t.name)) parameters.set(t.name, [...t.dims]);
    else constants.set(t.name, decodeTensor(t));
  }
  const dataInputs = graph.input.filter((i) => !constants.has(i.name) && !parameters.has(i.name));
  if (dataInputs.length !== 1) throw new Error(`the model needs exactly one data input, it has ${dataInputs.length}`);
  const nodes: Node[] = [];
  graph.node.forEach((n: OnnxNodeProto, index) => {
    const name = n.name || `${n.opType}_${index}`;
    const attributes: Record<string, AttributeValue> = {};
    let constantValue: Tensor | null = null;
    for (const a of n.attribute) {
      const value = decodeAttribute(a);
      if (typeof value === 'object' && value !== null && 'dtype' in value) constantValue = value;
      else attributes[a.name] = value;
    }
    if (n.opType === 'Constant') {
      if (!constantValue) throw new UnsupportedOperatorError('model.onnx', 'Constant', name, 'holds no tensor value (only value= is supported)');
      constants.set(n.output[0]!, constantValue);
      return;
    }
    nodes.push({ op: n.opType, name, inputs: [...n.input], outputs: [...n.output], attributes });
  });
  return { opset, nodes, constants, dataInput: dataInputs[0]!.name, output: graph.output[0]!.name, parameters };
}

function fromOrt(t: ort.Tensor): Tensor {
  return { dtype: t.type as DType, dims: [...t.dims], data: t.data as Tensor['data'] };
}

/** Operators whose attribute became an input at opset 13 (the rules are written for opset ≥ 13). */
const AXES_TO_INPUT: Record<string, string> = { Squeeze: 'axes', Unsqueeze: 'axes', ReduceSum: 'axes', Split: 'split' };

/**
 * A node of an opset < 13 model in its opset-13 form (the graphs are emitted at opset ≥ 17).
 * Softmax/LogSoftmax before 13 flatten everything from `axis` on: the same as 13's single axis
 * only when that axis is the last one.
 */
function upgradeNode(g: Graph, node: Node, opset: number, field: string): Node {
  if (opset >= 13) return node;
  const attribute = AXES_TO_INPUT[node.op];
  if (attribute && Array.isArray(node.attributes[attribute])) {
    const { [attribute]: values, ...rest } = node.attributes;
    const inputs = [...node.inputs];
    inputs[1] = g.ints(values as number[]);
    return { ...node, inputs, attributes: rest };
  }
  if (node.op === 'Softmax' || node.op === 'LogSoftmax') {
    const rank = g.shape(node.inputs[0]!).length;
    const axis = typeof node.attributes.axis === 'number' ? node.attributes.axis : 1;
    if ((axis + rank) % rank !== rank - 1) {
      throw new UnsupportedOperatorError(field, node.op, node.name, `flattens from axis ${axis} (opset ${opset} semantics), which is only supported on the last axis`);
    }
    return { ...node, attributes: { ...node.attributes, axis: -1 } };
  }
  if ((node.op === 'Clip' || node.op === 'Pad') && opset < 11) {
    throw new UnsupportedOperatorError(field, node.op, node.name, `is in its opset ${opset} form (attributes instead of inputs); export with opset ≥ 11`);
  }
  if (node.op === 'Upsample' || (node.op === 'Resize' && opset < 11)) {
    const inputs = [node.inputs[0]!, g.constant({ dtype: 'float32', dims: [0], data: new Float32Array(0) }, 'roi'), node.inputs[1]!];
    return { ...node, op: 'Resize', inputs, attributes: { mode: node.attributes.mode ?? 'nearest' } };
  }
  return node;
}

/** Ops whose outputs depend on their input's shape only, which is static here. */
const SHAPE_ONLY = new Set(['Shape', 'Size']);

/**
 * The shaped forward graph for `batch` samples of `sampleShape`, with parameters as inputs,
 * constants folded and composite operators lowered. `parameterValues` (θ in ONNX layout) only
 * serve the discovery run (no value depends on them after folding).
 */
export async function shapedForwardGraph(
  model: ForwardModel,
  batch: number,
  sampleShape: number[],
  parameterValues: Map<string, Float32Array>,
  field: string,
  batchNorm: 'moving' | 'batch',
): Promise<Graph> {
  const discovery = new Graph(model.opset);
  for (const [name, t] of model.constants) {
    discovery.constants.set(name, t);
    discovery.values.set(name, { shape: t.dims, dtype: t.dtype });
  }
  const inputShape = [batch, ...sampleShape];
  discovery.inputs = [model.dataInput, ...model.parameters.keys()];
  discovery.values.set(model.dataInput, { shape: inputShape, dtype: 'float32' });
  for (const [name, dims] of model.parameters) discovery.values.set(name, { shape: dims, dtype: 'float32' });
  // Inference-mode dropout is the identity; its optional mask output is never read by a forward model.
  const nodes = model.nodes.map((n) => (n.op === 'Dropout' ? { ...n, op: 'Identity', inputs: [n.inputs[0]!], outputs: [n.outputs[0]!], attributes: {} } : n));
  discovery.nodes.push(...nodes);
  const allOutputs = nodes.flatMap((n) => n.outputs.filter((o) => o !== ''));
  const session = await ort.InferenceSession.create(discovery.encode(allOutputs), { intraOpNumThreads: 1, graphOptimizationLevel: 'disabled' });
  const feeds: Record<string, ort.Tensor> = { [model.dataInput]: new ort.Tensor('float32', new Float32Array(sizeOf(inputShape)), inputShape) };
  for (const [name, dims] of model.parameters) feeds[name] = new ort.Tensor('float32', parameterValues.get(name)!, dims);
  let results: ort.InferenceSession.OnnxValueMapType;
  try {
    results = await session.run(feeds);
  } finally {
    await session.release();
  }

  // Live values depend on the data or the parameters other than through their shape.
  const live = new Set<string>([model.dataInput, ...model.parameters.keys()]);
  for (const n of nodes) {
    if (!SHAPE_ONLY.has(n.op) && n.inputs.some((i) => live.has(i))) for (const o of n.outputs) live.add(o);
  }
  const g = new Graph(Math.max(model.opset, MIN_OPSET));
  g.inputs = [...discovery.inputs];
  for (const name of g.inputs) g.values.set(name, discovery.info(name));
  const keep = (name: string) => {
    if (name === '' || g.values.has(name)) return;
    const known = model.constants.get(name);
    const t = known ?? fromOrt(results[name]!);
    g.constants.set(name, t);
    g.values.set(name, { shape: t.dims, dtype: t.dtype });
  };
  const uses = new Map<string, number>([[model.output, 1]]);
  for (const n of nodes) for (const i of n.inputs) uses.set(i, (uses.get(i) ?? 0) + 1);
  const rename = new Map<string, string>();
  const renamed = (name: string) => rename.get(name) ?? name;
  for (const n of nodes) {
    if (!n.outputs.some((o) => live.has(o))) continue;
    for (const i of n.inputs) if (!live.has(i)) keep(i);
    for (const o of n.outputs) {
      if (o === '') continue;
      const r = results[o]!;
      g.values.set(o, { shape: [...r.dims], dtype: r.type as DType });
    }
    const current = upgradeNode(g, { ...n, inputs: n.inputs.map(renamed) }, model.opset, field);
    const rules = RULES.get(n.op);
    if (rules?.lower) {
      let replacement: string[];
      try {
        replacement = rules.lower({ g, node: current, batchNorm, uses: (value) => uses.get(value) ?? 0 });
      } catch (err) {
        if (err instanceof RuleLimitation) throw new UnsupportedOperatorError(field, n.op, n.name, err.message);
        throw err;
      }
      n.outputs.forEach((o, k) => {
        if (replacement[k]) rename.set(o, replacement[k]!);
      });
    } else {
      g.nodes.push(current);
    }
  }
  for (const t of Object.values(results)) t.dispose();
  if (!live.has(model.output)) throw new UnsupportedOperatorError(field, 'output', model.output, 'does not depend on the input');
  g.outputs = [renamed(model.output)];
  return g;
}

