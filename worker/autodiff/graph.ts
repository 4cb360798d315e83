import { onnx } from '../../contract/onnx-model.ts';

/**
 * The graph IR the autodiff transforms work on: ONNX nodes of the default domain, every value
 * with a static shape and element type, constants as plain typed arrays. Graphs are built for
 * one batch size (shapes are discovered per batch size, see shapes.ts), so every rule may bake
 * shapes into constants.
 */

export type DType = 'float32' | 'int64' | 'int32' | 'bool' | 'uint8' | 'int8' | 'float64';

export interface Tensor {
  dtype: DType;
  dims: number[];
  data: Float32Array | BigInt64Array | Int32Array | Uint8Array | Int8Array | Float64Array;
}

/** Integers, integer lists and strings map to INT/INTS/STRING; { float } / { floats } to FLOAT/FLOATS. */
export type AttributeValue = number | number[] | string | { float: number } | { floats: number[] };

export interface Node {
  op: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, AttributeValue>;
}

export interface ValueInfo {
  shape: number[];
  dtype: DType;
}

const DTYPE_CODES: Record<DType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
  int32: onnx.TensorProto.DataType.INT32,
  bool: onnx.TensorProto.DataType.BOOL,
  uint8: onnx.TensorProto.DataType.UINT8,
  int8: onnx.TensorProto.DataType.INT8,
  float64: onnx.TensorProto.DataType.DOUBLE,
};

export function dtypeOfCode(code: number): DType {
  const found = (Object.entries(DTYPE_CODES) as [DType, number][]).find(([, c]) => c === code);
  if (!found) throw new Error(`unsupported ONNX element type ${onnx.TensorProto.DataType[code] ?? code}`);
  return found[0];
}

export function dtypeCode(dtype: DType): number {
  return DTYPE_CODES[dtype];
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

/** Reads an attribute, with a fallback when the node does not set it. */
export function intAttribute(node: Node, name: string, fallback: number): number {
  const v = node.attributes[name];
  return typeof v === 'number' ? v : fallback;
}

export function intsAttribute(node: Node, name: string, fallback: number[]): number[] {
  const v = node.attributes[name];
  return Array.isArray(v) ? v : fallback;
}

export function floatAttribute(node: Node, name: string, fallback: number): number {
  const v = node.attributes[name];
  if (typeof v === 'object' && v !== null && 'float' in v) return v.float;
  if (typeof v === 'number') return v;
  return fallback;
}

export function stringAttribute(node: Node, name: string, fallback: string): string {
  const v = node.attributes[name];
  return typeof v === 'string' ? v : fallback;
}

/** A composite's reverse rule: the cotangents of its `inputs` from the cotangent `dy` of its output. */
export interface CompositeVjp {
  inputs: string[];
  vjp(ctx: { g: Graph; dy: string; needs: boolean[] }): (string | null)[];
}

/**
 * A graph with static shapes. `emit` appends a node whose output shapes the caller states (rules
 * know them: a cotangent has its primal's shape), so the graph stays fully shaped without a
 * shape-inference pass.
 */
export class Graph {
  readonly nodes: Node[] = [];
  readonly values = new Map<string, ValueInfo>();
  readonly constants = new Map<string, Tensor>();
  inputs: string[] = [];
  outputs: string[] = [];
  /** Batch-statistics BatchNormalization: batch mean and biased variance per normalized node, by its moving-statistics inputs. */
  readonly batchStatistics: { movingMean: string; movingVariance: string; mean: string; variance: string }[] = [];
  /**
   * Lowered operators whose reverse rule is a closed form over the composite's own inputs, by the
   * value the composite outputs: reverse mode sends that value's cotangent straight to `inputs`
   * and never into the lowered parts (forward mode still follows the parts).
   */
  readonly composites = new Map<string, CompositeVjp>();
  private counter = 0;
  private readonly scalarCache = new Map<string, string>();

  constructor(readonly opset: number) {}

  fresh(base: string): string {
    let name: string;
    do name = `${base}__ad${this.counter++}`;
    while (this.values.has(name));
    return name;
  }

  info(name: string): ValueInfo {
    const info = this.values.get(name);
    if (!info) throw new Error(`value "${name}" has no known shape`);
    return info;
  }

  shape(name: string): number[] {
    return this.info(name).shape;
  }

  /** Append a single-output node; returns its output name. */
  emit(op: string, inputs: string[], attributes: Record<string, AttributeValue>, shape: number[], dtype: DType = 'float32', base = op): string {
    const output = this.fresh(base);
    this.nodes.push({ op, name: output, inputs, outputs: [output], attributes });
    this.values.set(output, { shape: [...shape], dtype });
    return output;
  }

  /** Append a node with several outputs of stated shapes. */
  emitMulti(op: string, inputs: string[], attributes: Record<string, AttributeValue>, outputs: ValueInfo[], base = op): string[] {
    const names = outputs.map(() => this.fresh(base));
    this.nodes.push({ op, name: names[0]!, inputs, outputs: names, attributes });
    names.forEach((n, i) => this.values.set(n, { shape: [...outputs[i]!.shape], dtype: outputs[i]!.dtype }));
    return names;
  }

  constant(tensor: Tensor, base = 'const'): string {
    const name = this.fresh(base);
    this.constants.set(name, tensor);
    this.values.set(name, { shape: [...tensor.dims], dtype: tensor.dtype });
    return name;
  }

  /** A float32 scalar (rank 0), shared per value. */
  scalar(value: number): string {
    const key = `f${value}`;
    let name = this.scalarCache.get(key);
    if (!name) {
      name = this.constant({ dtype: 'float32', dims: [], data: new Float32Array([value]) }, 'scalar');
      this.scalarCache.set(key, name);
    }
    return name;
  }

  /** An int64 vector constant (shapes, axes, pads), shared per value. */
  ints(values: readonly number[]): string {
    const key = `i${values.join(',')}`;
    let name = this.scalarCache.get(key);
    if (!name) {
      name = this.constant({ dtype: 'int64', dims: [values.length], data: BigInt64Array.from(values.map((v) => BigInt(v))) }, 'ints');
      this.scalarCache.set(key, name);
    }
    return name;
  }

  /** A float32 tensor of zeros of `shape` (materialized only where a rule needs a dense zero). */
  zeros(shape: number[]): string {
    return this.emit('Expand', [this.scalar(0), this.ints(shape)], {}, shape);
  }

  /**
   * The nodes the outputs depend on, in graph order. onnxruntime runs every node of a model whether
   * or not an output reads it: an H·v graph would otherwise still compute the loss's own weight
   * gradients, a third of its convolutions' weight-gradient products.
   */
  nodesReaching(outputs: readonly string[], fed: ReadonlySet<string> = new Set()): Node[] {
    const needed = new Set(outputs);
    const kept: Node[] = [];
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const node = this.nodes[i]!;
      if (!node.outputs.some((o) => needed.has(o) && !fed.has(o))) continue;
      kept.push(node);
      for (const input of node.inputs) if (input !== '') needed.add(input);
    }
    return kept.reverse();
  }

  /**
   * Serialized ModelProto with the given graph outputs (typed only when known), without the nodes
   * none of them needs. With `fed`, its values become graph inputs in place of the nodes computing
   * them (a graph cut: their values come from another graph's run), and only the inputs and
   * initializers the kept nodes read are declared (the caller feeds just those).
   */
  encode(outputs: string[] = this.outputs, fed?: ReadonlySet<string>): Uint8Array {
    const nodes = this.nodesReaching(outputs, fed);
    const read = fed ? new Set([...nodes.flatMap((n) => n.inputs), ...outputs]) : null;
    const inputs = read ? [...this.inputs.filter((name) => !fed!.has(name)), ...fed!].filter((name) => read.has(name)) : this.inputs;
    const valueInfo = (name: string, typed: boolean) => {
      const info = this.values.get(name);
      if (!typed || !info) return onnx.ValueInfoProto.create({ name });
      return onnx.ValueInfoProto.create({
        name,
        type: { tensorType: { elemType: dtypeCode(info.dtype), shape: { dim: info.shape.map((d) => ({ dimValue: d })) } } },
      });
    };
    const graph = onnx.GraphProto.create({
      name: 'autodiff',
      node: nodes.map((n) =>
        onnx.NodeProto.create({
          name: n.name,
          opType: n.op,
          input: n.inputs,
          output: n.outputs,
          attribute: Object.entries(n.attributes).map(([k, v]) => encodeAttribute(k, v)),
        }),
      ),
      initializer: [...this.constants].filter(([name]) => !read || read.has(name)).map(([name, t]) => encodeTensor(name, t)),
      input: inputs.map((n) => valueInfo(n, true)),
      output: outputs.map((n) => valueInfo(n, true)),
    });
    const model = onnx.ModelProto.create({ irVersion: 8, producerName: 'loss-atlas-autodiff', opsetImport: [{ domain: '', version: this.opset }], graph });
    return onnx.ModelProto.encode(model).finish();
  }
}

function encodeAttribute(name: string, value: AttributeValue): InstanceType<typeof onnx.AttributeProto> {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === 'string') return onnx.AttributeProto.create({ name, type: T.STRING, s: new TextEncoder().encode(value) });
  if (Array.isArray(value)) return onnx.AttributeProto.create({ name, type: T.INTS, ints: value });
  if (typeof value === 'number') return onnx.AttributeProto.create({ name, type: T.INT, i: value });
  if ('floats' in value) return onnx.AttributeProto.create({ name, type: T.FLOATS, floats: value.floats });
  return onnx.AttributeProto.create({ name, type: T.FLOAT, f: value.float });
}

export function encodeTensor(name: string, t: Tensor): InstanceType<typeof onnx.TensorProto> {
  const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength).slice();
  return onnx.TensorProto.create({ name, dims: t.dims, dataType: dtypeCode(t.dtype), rawData: bytes });
}
