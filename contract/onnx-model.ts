import onnxProto from 'onnx-proto';
import { ContractError } from './errors.ts';
import type { ParameterInfo, ParameterRole } from './parameters.ts';

/**
 * Reading an uploaded ONNX model (torch.onnx.export, tf2onnx) without onnxruntime: the parameter
 * model with each tensor's role derived from the graph, and the checks that keep hostile or
 * unsupported graphs out of the workers. The API validates uploads with describeOnnxModel; the
 * onnx engine loads through readOnnxModel.
 *
 * Layouts (method.md): Conv W [out, in, kh, kw] and Gemm B with transB=1 [out, in] have their
 * filters along axis 0; MatMul B and Gemm B with transB=0 [in, out] along the last axis.
 */
export const onnx = onnxProto.onnx;

/** A decoded TensorProto as plain data (int64 as numbers, every repeated field present). */
export interface OnnxTensorProto {
  name: string;
  dims: number[];
  dataType: number;
  rawData: Uint8Array;
  floatData: number[];
  int32Data: number[];
  int64Data: number[];
  doubleData: number[];
  uint64Data: number[];
  stringData: Uint8Array[];
  externalData: { key: string; value: string }[];
  dataLocation: number;
  segment?: unknown;
}

export interface OnnxAttributeProto {
  name: string;
  type: number;
  i: number;
  f: number;
  ints: number[];
  g?: unknown;
  graphs: unknown[];
}

export interface OnnxNodeProto {
  name: string;
  opType: string;
  domain: string;
  input: string[];
  output: string[];
  attribute: OnnxAttributeProto[];
}

export interface OnnxValueInfoProto {
  name: string;
  type?: { tensorType?: { elemType: number; shape?: { dim: { dimValue?: number; dimParam?: string }[] } } } | null;
}

export interface OnnxGraphProto {
  node: OnnxNodeProto[];
  initializer: OnnxTensorProto[];
  sparseInitializer: unknown[];
  input: OnnxValueInfoProto[];
  output: OnnxValueInfoProto[];
}

export interface OnnxModelProto {
  irVersion: number;
  opsetImport: { domain: string; version: number }[];
  graph?: OnnxGraphProto | null;
  functions: unknown[];
  trainingInfo: unknown[];
}

export interface OnnxLimits {
  /** Serialized model size in bytes. Default 256 MiB. */
  maxBytes?: number;
  /** Graph nodes. Default 20,000. */
  maxNodes?: number;
  /** Elements of any one tensor (initializer or declared shape). Default 64 M. */
  maxTensorElements?: number;
  /** Parameter elements in total. Default 64 M. */
  maxParameters?: number;
  /** Rank of any tensor. Default 8. */
  maxRank?: number;
}

const DEFAULT_LIMITS: Required<OnnxLimits> = {
  maxBytes: 256 * 1024 * 1024,
  maxNodes: 20_000,
  maxTensorElements: 64 * 1024 * 1024,
  maxParameters: 64 * 1024 * 1024,
  maxRank: 8,
};

/**
 * Operators of the default domain that the onnx engine evaluates: what torch.onnx.export and
 * tf2onnx emit for feed-forward CNNs and MLPs. Control flow (If/Loop/Scan: subgraphs), custom
 * domains and random ops are rejected.
 */
export const SUPPORTED_ONNX_OPS: ReadonlySet<string> = new Set([
  'Conv', 'ConvTranspose', 'Gemm', 'MatMul', 'BatchNormalization', 'InstanceNormalization', 'LayerNormalization',
  'Add', 'Sub', 'Mul', 'Div', 'Sum', 'Mean', 'Max', 'Min', 'Neg', 'Abs', 'Sqrt', 'Pow', 'Exp', 'Log', 'Erf', 'Reciprocal',
  'Relu', 'LeakyRelu', 'PRelu', 'Elu', 'Selu', 'Celu', 'Gelu', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Tanh',
  'Softplus', 'Softsign', 'Clip', 'Softmax', 'LogSoftmax',
  'MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool', 'ReduceMean', 'ReduceMax', 'ReduceSum',
  'Flatten', 'Reshape', 'Transpose', 'Concat', 'Split', 'Slice', 'Squeeze', 'Unsqueeze', 'Pad', 'Resize',
  'Identity', 'Dropout', 'Shape', 'Gather', 'Constant', 'ConstantOfShape', 'Cast', 'Expand', 'Where', 'Equal',
]);

/** Byte size of one element per TensorProto data type (only the types a model may carry). */
const ELEMENT_BYTES: Record<number, number> = {
  [onnx.TensorProto.DataType.FLOAT]: 4,
  [onnx.TensorProto.DataType.DOUBLE]: 8,
  [onnx.TensorProto.DataType.INT64]: 8,
  [onnx.TensorProto.DataType.INT32]: 4,
  [onnx.TensorProto.DataType.BOOL]: 1,
  [onnx.TensorProto.DataType.UINT8]: 1,
  [onnx.TensorProto.DataType.INT8]: 1,
  [onnx.TensorProto.DataType.FLOAT16]: 2,
};

export interface OnnxModelDescription {
  layers: { name: string; className: string }[];
  parameters: ParameterInfo[];
  trainingLoss: null;
  /** softmax/sigmoid when the graph ends in one (outputs are probabilities); otherwise linear (logits). */
  outputActivation: string;
  /** One sample without the batch axis, from the graph input (-1 = symbolic dimension). */
  inputShape: number[];
}

export interface OnnxModelReading {
  model: OnnxModelProto;
  description: OnnxModelDescription;
  inputName: string;
  outputName: string;
}

function fail(message: string): never {
  throw new ContractError('model.onnx', message);
}

function elementCount(dims: number[], what: string, limits: Required<OnnxLimits>): number {
  if (dims.length > limits.maxRank) fail(`${what} has rank ${dims.length}; at most ${limits.maxRank} is supported`);
  let count = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) fail(`${what} has an invalid dimension ${d}`);
    count *= d;
    if (count > limits.maxTensorElements) fail(`${what} has more than ${limits.maxTensorElements} elements`);
  }
  return count;
}

/** Checks an initializer's stored data against its declared type and dims; returns its element count. */
function checkInitializer(t: OnnxTensorProto, limits: Required<OnnxLimits>): number {
  const what = `initializer "${t.name}"`;
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL || t.externalData.length > 0) {
    fail(`${what} refers to external data; export with the weights inside the .onnx file (save_as_external_data=False)`);
  }
  if (t.segment) fail(`${what} is a segment of a split tensor, which is not supported`);
  const count = elementCount(t.dims, what, limits);
  const bytes = ELEMENT_BYTES[t.dataType];
  if (bytes === undefined) fail(`${what} has unsupported data type ${onnx.TensorProto.DataType[t.dataType] ?? t.dataType}`);
  const typed =
    t.floatData.length + t.int32Data.length + t.int64Data.length + t.doubleData.length + t.uint64Data.length + t.stringData.length;
  if (t.rawData.length > 0) {
    if (typed > 0) fail(`${what} holds both raw and typed data`);
    if (t.rawData.length !== count * bytes) {
      fail(`${what} declares dims [${t.dims}] (${count * bytes} bytes) but holds ${t.rawData.length} bytes`);
    }
  } else if (typed !== count) {
    // FLOAT16/BOOL/INT8/UINT8 values travel in int32_data, one per element, so the count rule holds for every type.
    fail(`${what} declares dims [${t.dims}] (${count} elements) but holds ${typed} values`);
  }
  return count;
}

function attribute(node: OnnxNodeProto, name: string): OnnxAttributeProto | undefined {
  return node.attribute.find((a) => a.name === name);
}

function intAttribute(node: OnnxNodeProto, name: string, fallback: number): number {
  const a = attribute(node, name);
  return a ? a.i : fallback;
}

interface RoleAssignment {
  role: ParameterRole;
  filterAxes: number[];
  trainable: boolean;
  node: OnnxNodeProto;
  nodeName: string;
}

/** The role an initializer plays as input `slot` of `node` (null: a constant, not a parameter). */
function roleOf(node: OnnxNodeProto, slot: number, rank: number): Omit<RoleAssignment, 'node' | 'nodeName'> | null {
  const last = rank >= 2 ? [rank - 1] : [];
  const axis0 = rank >= 2 ? [0] : [];
  switch (node.opType) {
    case 'Conv':
      if (slot === 1) return { role: 'kernel', filterAxes: axis0, trainable: true };
      if (slot === 2) return { role: 'bias', filterAxes: [], trainable: true };
      return null;
    case 'ConvTranspose':
      // W [in, out/group, kh, kw]: filters along axis 0, as the reference does for every PyTorch weight.
      if (slot === 1) return { role: 'kernel', filterAxes: axis0, trainable: true };
      if (slot === 2) return { role: 'bias', filterAxes: [], trainable: true };
      return null;
    case 'Gemm': {
      if (slot === 2) return { role: 'bias', filterAxes: [], trainable: true };
      if (slot === 1) return { role: 'kernel', filterAxes: intAttribute(node, 'transB', 0) === 1 ? axis0 : last, trainable: true };
      if (slot === 0) return { role: 'kernel', filterAxes: intAttribute(node, 'transA', 0) === 1 ? last : axis0, trainable: true };
      return null;
    }
    case 'MatMul':
      return { role: 'kernel', filterAxes: slot === 1 ? last : axis0, trainable: true };
    case 'BatchNormalization':
    case 'InstanceNormalization':
    case 'LayerNormalization': {
      const roles: ParameterRole[] = ['bn_gamma', 'bn_beta', 'bn_moving_mean', 'bn_moving_variance'];
      const role = roles[slot - 1];
      if (!role) return null;
      return { role, filterAxes: [], trainable: role === 'bn_gamma' || role === 'bn_beta' };
    }
    case 'Add':
    case 'Sub':
      return { role: rank <= 1 ? 'bias' : 'other', filterAxes: [], trainable: true };
    case 'PRelu':
      return slot === 1 ? { role: 'other', filterAxes: [], trainable: true } : null;
    default:
      return null;
  }
}

function inputShapeOf(valueInfo: OnnxValueInfoProto): number[] {
  const tensorType = valueInfo.type?.tensorType;
  if (!tensorType) fail(`graph input "${valueInfo.name}" is not a tensor`);
  if (tensorType.elemType !== onnx.TensorProto.DataType.FLOAT) {
    fail(`graph input "${valueInfo.name}" has element type ${onnx.TensorProto.DataType[tensorType.elemType ?? 0]}; float32 inputs are required`);
  }
  const dims = tensorType.shape?.dim ?? [];
  if (dims.length < 2) fail(`graph input "${valueInfo.name}" needs a batch axis and at least one sample axis, it has rank ${dims.length}`);
  return dims.slice(1).map((d) => (typeof d.dimValue === 'number' && d.dimValue > 0 ? d.dimValue : -1));
}

/** Ops that pass their input's meaning through unchanged when looking for the output activation. */
export const PASS_THROUGH = new Set(['Identity', 'Flatten', 'Reshape', 'Squeeze', 'Dropout', 'Cast']);

function outputActivationOf(outputName: string, producers: Map<string, OnnxNodeProto>): string {
  let node = producers.get(outputName);
  while (node && PASS_THROUGH.has(node.opType)) node = producers.get(node.input[0] ?? '');
  if (node?.opType === 'Softmax') return 'softmax';
  if (node?.opType === 'Sigmoid') return 'sigmoid';
  if (node?.opType === 'LogSoftmax') return 'log_softmax';
  return 'linear';
}

function decode(bytes: Uint8Array): OnnxModelProto {
  try {
    // Plain data with int64 as numbers; bytes fields stay views of `bytes`.
    const decoded = onnx.ModelProto.decode(bytes);
    return onnx.ModelProto.toObject(decoded, { longs: Number, defaults: true, arrays: true }) as OnnxModelProto;
  } catch (err) {
    return fail(`is not a valid ONNX protobuf (${(err as Error).message})`);
  }
}

/**
 * Decode and validate an ONNX model; the parameter model lists every float initializer that a
 * Conv/ConvTranspose/Gemm/MatMul/normalization/Add/Sub/PRelu node consumes, in initializer order.
 * Other initializers (reshape targets, scalars) stay constants. Throws ContractError('model.onnx').
 */
export function readOnnxModel(bytes: Uint8Array, limits: OnnxLimits = {}): OnnxModelReading {
  const lim = { ...DEFAULT_LIMITS, ...limits };
  if (bytes.byteLength > lim.maxBytes) fail(`is ${bytes.byteLength} bytes; the limit is ${lim.maxBytes}`);
  if (bytes.byteLength === 0) fail('is empty');
  const model = decode(bytes);
  const graph = model.graph;
  if (!graph) fail('has no graph');
  if (model.functions.length > 0) fail('defines local functions, which are not supported');
  if (model.trainingInfo.length > 0) fail('carries training information, which is not supported');
  for (const opset of model.opsetImport) {
    if (opset.domain !== '' && opset.domain !== 'ai.onnx') fail(`imports operator set domain "${opset.domain}"; only the default ONNX domain is supported`);
  }
  if (graph.sparseInitializer.length > 0) fail('has sparse initializers, which are not supported');
  if (graph.node.length > lim.maxNodes) fail(`has ${graph.node.length} nodes; the limit is ${lim.maxNodes}`);

  const initializers = new Map<string, OnnxTensorProto>();
  for (const t of graph.initializer) {
    if (!t.name) fail('has an initializer without a name');
    if (initializers.has(t.name)) fail(`has two initializers named "${t.name}"`);
    checkInitializer(t, lim);
    initializers.set(t.name, t);
  }
  // IR < 4 exporters list initializers among the graph inputs too; the data input is the one that is not.
  const dataInputs = graph.input.filter((i) => !initializers.has(i.name));
  if (dataInputs.length !== 1) fail(`needs exactly one data input, it has ${dataInputs.length} (${dataInputs.map((i) => i.name).join(', ')})`);
  if (graph.output.length !== 1) fail(`needs exactly one output, it has ${graph.output.length}`);
  const dataInput = dataInputs[0]!;
  const inputShape = inputShapeOf(dataInput);
  elementCount(inputShape.map((d) => Math.max(d, 1)), `graph input "${dataInput.name}"`, lim);

  const defined = new Set<string>([dataInput.name, ...initializers.keys()]);
  const producers = new Map<string, OnnxNodeProto>();
  const assignments = new Map<string, RoleAssignment>();
  const layers: { name: string; className: string }[] = [];
  graph.node.forEach((node, index) => {
    const nodeName = node.name || `${node.opType}_${index}`;
    if (node.domain !== '' && node.domain !== 'ai.onnx') fail(`node "${nodeName}" uses operator domain "${node.domain}"`);
    if (!SUPPORTED_ONNX_OPS.has(node.opType)) fail(`node "${nodeName}" uses operator ${node.opType}, which is not supported`);
    for (const a of node.attribute) {
      if (a.g || a.graphs.length > 0) fail(`node "${nodeName}" has a subgraph attribute "${a.name}"`);
    }
    if (node.opType === 'BatchNormalization' && (intAttribute(node, 'training_mode', 0) !== 0 || node.output.length > 1)) {
      fail(`BatchNormalization "${nodeName}" is in training mode; call model.eval() before torch.onnx.export`);
    }
    node.input.forEach((name, slot) => {
      if (name === '') return;
      if (!defined.has(name)) fail(`node "${nodeName}" reads "${name}" before anything defines it`);
      const init = initializers.get(name);
      if (!init || init.dataType !== onnx.TensorProto.DataType.FLOAT || assignments.has(name)) return;
      const role = roleOf(node, slot, init.dims.length);
      if (role) assignments.set(name, { ...role, node, nodeName });
    });
    for (const out of node.output) {
      if (out === '') continue;
      if (defined.has(out)) fail(`"${out}" is defined twice (node "${nodeName}")`);
      defined.add(out);
      producers.set(out, node);
    }
    layers.push({ name: nodeName, className: node.opType });
  });
  const outputName = graph.output[0]!.name;
  if (!defined.has(outputName)) fail(`graph output "${outputName}" is never computed`);

  const parameters: ParameterInfo[] = [];
  let offset = 0;
  for (const t of graph.initializer) {
    const assigned = assignments.get(t.name);
    if (!assigned) continue;
    const shape = t.dims;
    const size = shape.reduce((n, d) => n * d, 1);
    parameters.push({
      name: t.name,
      layer: assigned.nodeName,
      layerClass: assigned.node.opType,
      role: assigned.role,
      shape,
      size,
      trainable: assigned.trainable,
      filterAxes: assigned.filterAxes,
      offset,
    });
    offset += size;
    if (offset > lim.maxParameters) fail(`has more than ${lim.maxParameters} parameters`);
  }
  if (parameters.length === 0) fail('has no float initializers feeding Conv/Gemm/MatMul/normalization nodes: nothing to perturb');
  return {
    model,
    description: { layers, parameters, trainingLoss: null, outputActivation: outputActivationOf(outputName, producers), inputShape },
    inputName: dataInput.name,
    outputName,
  };
}

/** Validate an uploaded model.onnx and describe its parameters (see readOnnxModel). */
export function describeOnnxModel(bytes: Uint8Array, limits?: OnnxLimits): OnnxModelDescription {
  return readOnnxModel(bytes, limits).description;
}

/**
 * The serialized model with the named float32 initializers holding `values` (as raw_data, little
 * endian); everything else is kept as decoded. Throws when a name is not a float32 initializer of
 * that size.
 */
export function withInitializers(bytes: Uint8Array, values: ReadonlyMap<string, Float32Array>): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  const written = new Set<string>();
  for (const t of model.graph?.initializer ?? []) {
    const v = values.get(t.name ?? '');
    if (!v) continue;
    const count = (t.dims as (number | { toNumber(): number })[]).reduce<number>((n, d) => n * Number(d), 1);
    if (t.dataType !== onnx.TensorProto.DataType.FLOAT || count !== v.length) throw new Error(`initializer "${t.name}" is not float32 with ${v.length} values`);
    t.rawData = new Uint8Array(v.slice().buffer);
    t.floatData = [];
    written.add(t.name!);
  }
  const missing = [...values.keys()].find((name) => !written.has(name));
  if (missing !== undefined) throw new Error(`the model has no initializer "${missing}"`);
  return onnx.ModelProto.encode(model).finish();
}

/** An initializer's float32 values, whichever of raw_data / float_data holds them. */
export function initializerFloats(t: OnnxTensorProto): Float32Array {
  if (t.rawData.length > 0) {
    const copy = new Uint8Array(t.rawData);
    return new Float32Array(copy.buffer, 0, copy.byteLength / 4);
  }
  return Float32Array.from(t.floatData);
}
