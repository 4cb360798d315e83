import { ContractError, describeLayersModel, type ParameterInfo } from '../../../contract/index.ts';
import { onnx } from '../../../contract/onnx-model.ts';

/**
 * tfjs Layers model (model.json + flat float32 weights) → an ONNX graph that computes the same
 * function, for the supported layer set. The graph takes NHWC input like the tfjs model and
 * works channels-first inside (one Transpose at the input, and back where a layer needs the
 * channels-last order: Flatten, Dense on images, Softmax, the output).
 */

/** How one tfjs parameter lands in one ONNX initializer. */
export interface InitializerBinding {
  /** tfjs weight name (ParameterInfo.name). */
  parameter: string;
  initializer: string;
  /** Range of the parameter in the flat vector (tfjs order and layout). */
  offset: number;
  size: number;
  /** null: copied as is; otherwise ONNX element i = flat[offset + gather[i]] (a layout transpose). */
  gather: Int32Array | null;
}

export interface ExportedLayersModel {
  /** Serialized ModelProto; every bound initializer stores its values as raw_data. */
  model: Uint8Array;
  initializerMap: InitializerBinding[];
  inputName: string;
  outputName: string;
  /** One sample as the graph input takes it: the tfjs model's (channels-last) input shape. */
  inputShape: number[];
}

const OPSET = 13;
const INPUT_NAME = 'input';
const OUTPUT_NAME = 'output';

type Layout = 'channels_last' | 'channels_first';

interface Value {
  name: string;
  /** Logical (tfjs, channels-last) shape of one sample. */
  shape: number[];
  layout: Layout;
}

interface LayerNode {
  name: string;
  className: string;
  config: Record<string, unknown>;
  inbound: string[];
}

function unsupported(message: string): never {
  throw new ContractError('model.json', `cannot export to ONNX: ${message}`);
}

/** Integers, integer lists and strings map to INT/INTS/STRING; `{ float }` to FLOAT. */
type AttributeValue = number | number[] | string | { float: number };

function attr(name: string, value: AttributeValue): InstanceType<typeof onnx.AttributeProto> {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === 'string') return onnx.AttributeProto.create({ name, type: T.STRING, s: new TextEncoder().encode(value) });
  if (Array.isArray(value)) return onnx.AttributeProto.create({ name, type: T.INTS, ints: value });
  if (typeof value === 'object') return onnx.AttributeProto.create({ name, type: T.FLOAT, f: value.float });
  return onnx.AttributeProto.create({ name, type: T.INT, i: value });
}

function pair(v: unknown, fallback: number): [number, number] {
  if (Array.isArray(v)) return [Number(v[0]), Number(v[1] ?? v[0])];
  if (typeof v === 'number') return [v, v];
  return [fallback, fallback];
}

/** TF "same" padding: output ceil(in / s), the odd pixel padded at the end. */
function samePads(size: number, kernel: number, stride: number, dilation: number): { out: number; begin: number; end: number } {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0);
  return { out, begin: Math.floor(total / 2), end: total - Math.floor(total / 2) };
}

function validOut(size: number, kernel: number, stride: number, dilation: number): number {
  return Math.floor((size - (kernel - 1) * dilation - 1) / stride) + 1;
}

class GraphBuilder {
  readonly nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  readonly initializers: InstanceType<typeof onnx.TensorProto>[] = [];
  readonly bindings: InitializerBinding[] = [];
  private counter = 0;

  fresh(base: string): string {
    return `${base}__${this.counter++}`;
  }

  node(opType: string, inputs: string[], attributes: Record<string, AttributeValue> = {}, base = opType, output = this.fresh(base)): string {
    this.nodes.push(
      onnx.NodeProto.create({
        name: output,
        opType,
        input: inputs,
        output: [output],
        attribute: Object.entries(attributes).map(([k, v]) => attr(k, v)),
      }),
    );
    return output;
  }

  floatConstant(base: string, dims: number[], values: Float32Array): string {
    const name = this.fresh(base);
    this.initializers.push(
      onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)) }),
    );
    return name;
  }

  int64Constant(base: string, values: number[]): string {
    const name = this.fresh(base);
    const raw = new BigInt64Array(values.map((v) => BigInt(v)));
    this.initializers.push(
      onnx.TensorProto.create({ name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, rawData: new Uint8Array(raw.buffer) }),
    );
    return name;
  }

  /** An initializer holding a parameter (filled from `weights`, and written per point through its binding). */
  parameter(info: ParameterInfo, dims: number[], gather: Int32Array | null, weights: Float32Array): string {
    const name = info.name;
    const values = new Float32Array(info.size);
    const source = weights.subarray(info.offset, info.offset + info.size);
    if (gather) for (let i = 0; i < values.length; i++) values[i] = source[gather[i]!]!;
    else values.set(source);
    this.initializers.push(onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(values.buffer) }));
    this.bindings.push({ parameter: info.name, initializer: name, offset: info.offset, size: info.size, gather });
    return name;
  }
}

/** ONNX element order of a tfjs conv kernel [kh, kw, in, out] as Conv W [out, in, kh, kw]. */
function convGather(kh: number, kw: number, cin: number, cout: number): Int32Array {
  const gather = new Int32Array(kh * kw * cin * cout);
  let i = 0;
  for (let o = 0; o < cout; o++) for (let c = 0; c < cin; c++) for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) gather[i++] = ((y * kw + x) * cin + c) * cout + o;
  return gather;
}

/** tfjs depthwise kernel [kh, kw, in, mult] as grouped Conv W [in·mult, 1, kh, kw] (output channel c·mult + m). */
function depthwiseGather(kh: number, kw: number, cin: number, mult: number): Int32Array {
  const gather = new Int32Array(kh * kw * cin * mult);
  let i = 0;
  for (let c = 0; c < cin; c++) for (let m = 0; m < mult; m++) for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) gather[i++] = ((y * kw + x) * cin + c) * mult + m;
  return gather;
}

/** tfjs transposed-conv kernel [kh, kw, out, in] as ConvTranspose W [in, out, kh, kw]. */
function convTransposeGather(kh: number, kw: number, cout: number, cin: number): Int32Array {
  const gather = new Int32Array(kh * kw * cout * cin);
  let i = 0;
  for (let c = 0; c < cin; c++) for (let o = 0; o < cout; o++) for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) gather[i++] = ((y * kw + x) * cout + o) * cin + c;
  return gather;
}

/**
 * Crop and extension of a transposed convolution so that ONNX's output size
 * s·(in − 1) + k + outputPadding − begin − end equals tfjs' (deconvLength): 'same' → s·in,
 * 'valid' → s·in + max(k − s, 0). 'same' crops the k − s overhang like the forward conv it
 * transposes pads it (the odd pixel at the end); where k < s the missing s − k pixels are
 * appended at the end (they hold only the bias, as in tfjs).
 */
function transposedPads(size: number, kernel: number, stride: number, padding: 'same' | 'valid'): { out: number; begin: number; end: number; extra: number } {
  const overhang = kernel - stride;
  if (padding === 'valid') return { out: size * stride + Math.max(overhang, 0), begin: 0, end: 0, extra: Math.max(-overhang, 0) };
  const total = Math.max(overhang, 0);
  return { out: size * stride, begin: Math.floor(total / 2), end: total - Math.floor(total / 2), extra: Math.max(-overhang, 0) };
}

const ELEMENTWISE_ACTIVATIONS = new Set(['linear', 'relu', 'relu6', 'sigmoid', 'tanh', 'elu', 'selu', 'softplus', 'softsign', 'softmax']);

class Exporter {
  private readonly g = new GraphBuilder();
  private readonly values = new Map<string, Value>();
  private readonly byLayer = new Map<string, Map<string, ParameterInfo>>();
  private readonly used = new Set<string>();
  private readonly converted = new Map<string, Value>();

  constructor(
    private readonly parameters: ParameterInfo[],
    private readonly weights: Float32Array,
  ) {
    for (const p of parameters) {
      const short = p.name.slice(p.name.lastIndexOf('/') + 1).replace(/_\d+$/, '');
      let layer = this.byLayer.get(p.layer);
      if (!layer) this.byLayer.set(p.layer, (layer = new Map()));
      layer.set(short, p);
    }
  }

  private weight(layer: string, short: string, required: true): ParameterInfo;
  private weight(layer: string, short: string, required: false): ParameterInfo | undefined;
  private weight(layer: string, short: string, required: boolean): ParameterInfo | undefined {
    const p = this.byLayer.get(layer)?.get(short);
    if (!p && required) unsupported(`layer "${layer}" has no weight "${short}"`);
    if (p) this.used.add(p.name);
    return p;
  }

  /** The value in the other layout, transposed once however many layers read it. */
  private relayout(v: Value, layout: Layout): Value {
    const key = `${v.name}>${layout}`;
    let converted = this.converted.get(key);
    if (!converted) {
      const perm = layout === 'channels_first' ? [0, 3, 1, 2] : [0, 2, 3, 1];
      converted = { name: this.g.node('Transpose', [v.name], { perm }), shape: v.shape, layout };
      this.converted.set(key, converted);
    }
    return converted;
  }

  private channelsFirst(v: Value): Value {
    return v.layout === 'channels_first' || v.shape.length !== 3 ? v : this.relayout(v, 'channels_first');
  }

  private channelsLast(v: Value): Value {
    return v.layout === 'channels_last' ? v : this.relayout(v, 'channels_last');
  }

  private activation(v: Value, name: unknown, layer: string): Value {
    const activation = typeof name === 'string' ? name : 'linear';
    if (!ELEMENTWISE_ACTIVATIONS.has(activation)) unsupported(`layer "${layer}" has activation "${activation}"`);
    switch (activation) {
      case 'linear':
        return v;
      case 'relu6':
        return { ...v, name: this.g.node('Clip', [v.name, this.g.floatConstant('zero', [], new Float32Array([0])), this.g.floatConstant('six', [], new Float32Array([6]))]) };
      case 'softmax': {
        const plain = this.channelsLast(v);
        return { ...plain, name: this.g.node('Softmax', [plain.name], { axis: -1 }) };
      }
      default: {
        const op = { relu: 'Relu', sigmoid: 'Sigmoid', tanh: 'Tanh', elu: 'Elu', selu: 'Selu', softplus: 'Softplus', softsign: 'Softsign' }[activation]!;
        return { ...v, name: this.g.node(op, [v.name]) };
      }
    }
  }

  input(name: string, shape: number[]): void {
    if (shape.some((d) => d < 1)) unsupported(`input "${name}" has free dimensions [${shape}]`);
    this.values.set(name, { name: INPUT_NAME, shape, layout: 'channels_last' });
  }

  layer(node: LayerNode): void {
    const inputs = node.inbound.map((key) => {
      const v = this.values.get(key);
      if (!v) unsupported(`layer "${node.name}" reads "${key}" before it is computed`);
      return v;
    });
    this.values.set(`${node.name}`, this.convert(node, inputs));
  }

  private convert(node: LayerNode, inputs: Value[]): Value {
    const { config, name } = node;
    const x = inputs[0]!;
    const single = () => {
      if (inputs.length !== 1) unsupported(`layer "${name}" (${node.className}) takes one input, got ${inputs.length}`);
      return x;
    };
    switch (node.className) {
      case 'Conv2D':
      case 'DepthwiseConv2D': {
        single();
        if (x.shape.length !== 3) unsupported(`layer "${name}" expects an image input, got shape [${x.shape}]`);
        if ((config.data_format ?? 'channels_last') !== 'channels_last') unsupported(`layer "${name}" uses data_format ${String(config.data_format)}`);
        const depthwise = node.className === 'DepthwiseConv2D';
        const kernel = this.weight(name, depthwise ? 'depthwise_kernel' : 'kernel', true);
        const [kh, kw, cin, last] = kernel.shape as [number, number, number, number];
        const cout = depthwise ? cin * last : last;
        const [sh, sw] = pair(config.strides, 1);
        const [dh, dw] = pair(config.dilation_rate, 1);
        const [h, w] = x.shape as [number, number, number];
        let pads = [0, 0, 0, 0];
        let out: [number, number];
        if (config.padding === 'same') {
          const py = samePads(h, kh, sh, dh);
          const px = samePads(w, kw, sw, dw);
          pads = [py.begin, px.begin, py.end, px.end];
          out = [py.out, px.out];
        } else if (config.padding === 'valid' || config.padding === undefined) {
          out = [validOut(h, kh, sh, dh), validOut(w, kw, sw, dw)];
        } else return unsupported(`layer "${name}" has padding ${String(config.padding)}`);
        const cf = this.channelsFirst(x);
        const weightDims = depthwise ? [cout, 1, kh, kw] : [cout, cin, kh, kw];
        const W = this.g.parameter(kernel, weightDims, depthwise ? depthwiseGather(kh, kw, cin, last) : convGather(kh, kw, cin, cout), this.weights);
        const bias = config.use_bias === false ? undefined : this.weight(name, 'bias', false);
        const convInputs = [cf.name, W];
        if (bias) convInputs.push(this.g.parameter(bias, [cout], null, this.weights));
        const y = this.g.node('Conv', convInputs, { kernel_shape: [kh, kw], strides: [sh, sw], dilations: [dh, dw], pads, group: depthwise ? cin : 1 }, name);
        return this.activation({ name: y, shape: [out[0], out[1], cout], layout: 'channels_first' }, config.activation, name);
      }
      case 'Conv2DTranspose': {
        single();
        if (x.shape.length !== 3) unsupported(`layer "${name}" expects an image input, got shape [${x.shape}]`);
        if ((config.data_format ?? 'channels_last') !== 'channels_last') unsupported(`layer "${name}" uses data_format ${String(config.data_format)}`);
        const [dh, dw] = pair(config.dilation_rate, 1);
        if (dh !== 1 || dw !== 1) unsupported(`layer "${name}" has dilation ${dh}×${dw} (tfjs transposed convolutions ignore it)`);
        const padding = config.padding ?? 'valid';
        if (padding !== 'same' && padding !== 'valid') unsupported(`layer "${name}" has padding ${String(padding)}`);
        const kernel = this.weight(name, 'kernel', true);
        const [kh, kw, cout, cin] = kernel.shape as [number, number, number, number];
        const [sh, sw] = pair(config.strides, 1);
        const [h, w] = x.shape as [number, number, number];
        const py = transposedPads(h, kh, sh, padding);
        const px = transposedPads(w, kw, sw, padding);
        const cf = this.channelsFirst(x);
        const W = this.g.parameter(kernel, [cin, cout, kh, kw], convTransposeGather(kh, kw, cout, cin), this.weights);
        const bias = config.use_bias === false ? undefined : this.weight(name, 'bias', false);
        const inputs = [cf.name, W];
        if (bias) inputs.push(this.g.parameter(bias, [cout], null, this.weights));
        const y = this.g.node(
          'ConvTranspose',
          inputs,
          { kernel_shape: [kh, kw], strides: [sh, sw], pads: [py.begin, px.begin, py.end, px.end], output_padding: [py.extra, px.extra] },
          name,
        );
        return this.activation({ name: y, shape: [py.out, px.out, cout], layout: 'channels_first' }, config.activation, name);
      }
      case 'UpSampling2D': {
        single();
        if (x.shape.length !== 3) unsupported(`layer "${name}" expects an image input`);
        if ((config.data_format ?? 'channels_last') !== 'channels_last') unsupported(`layer "${name}" uses data_format ${String(config.data_format)}`);
        const [sh, sw] = pair(config.size, 2);
        const interpolation = config.interpolation ?? 'nearest';
        if (interpolation !== 'nearest' && interpolation !== 'bilinear') unsupported(`layer "${name}" interpolates ${String(interpolation)}`);
        const cf = this.channelsFirst(x);
        // tfjs resizes with alignCorners = halfPixelCenters = false: source coordinate = target / scale
        // (ONNX 'asymmetric'); nearest then takes floor, i.e. repeats each pixel sh × sw times.
        const attributes: Record<string, AttributeValue> = interpolation === 'nearest'
          ? { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }
          : { mode: 'linear', coordinate_transformation_mode: 'asymmetric' };
        const scales = this.g.floatConstant('scales', [4], new Float32Array([1, 1, sh, sw]));
        const y = this.g.node('Resize', [cf.name, '', scales], attributes, name);
        return { name: y, shape: [x.shape[0]! * sh, x.shape[1]! * sw, x.shape[2]!], layout: 'channels_first' };
      }
      case 'Dense': {
        single();
        const kernel = this.weight(name, 'kernel', true);
        const units = kernel.shape[1]!;
        const bias = config.use_bias === false ? undefined : this.weight(name, 'bias', false);
        const W = this.g.parameter(kernel, kernel.shape, null, this.weights);
        const B = bias ? this.g.parameter(bias, [units], null, this.weights) : undefined;
        let y: string;
        if (x.shape.length === 1) {
          y = this.g.node('Gemm', B ? [x.name, W, B] : [x.name, W], { transB: 0 }, name);
        } else {
          const plain = this.channelsLast(x);
          y = this.g.node('MatMul', [plain.name, W], {}, name);
          if (B) y = this.g.node('Add', [y, B], {}, name);
        }
        return this.activation({ name: y, shape: [...x.shape.slice(0, -1), units], layout: 'channels_last' }, config.activation, name);
      }
      case 'BatchNormalization': {
        single();
        const axis = typeof config.axis === 'number' ? config.axis : -1;
        if (axis !== -1 && axis !== x.shape.length) unsupported(`layer "${name}" normalizes axis ${axis}; only the last axis is supported`);
        if (x.shape.length !== 1 && x.shape.length !== 3) unsupported(`layer "${name}" has input shape [${x.shape}]`);
        const channels = x.shape[x.shape.length - 1]!;
        const v = x.shape.length === 3 ? this.channelsFirst(x) : x;
        const param = (short: string, fill: number) => {
          const p = this.weight(name, short, false);
          return p ? this.g.parameter(p, [channels], null, this.weights) : this.g.floatConstant(short, [channels], new Float32Array(channels).fill(fill));
        };
        const gamma = param('gamma', 1);
        const beta = param('beta', 0);
        const mean = this.g.parameter(this.weight(name, 'moving_mean', true), [channels], null, this.weights);
        const variance = this.g.parameter(this.weight(name, 'moving_variance', true), [channels], null, this.weights);
        const epsilon = typeof config.epsilon === 'number' ? config.epsilon : 1e-3;
        return { ...v, name: this.g.node('BatchNormalization', [v.name, gamma, beta, mean, variance], { epsilon: { float: epsilon } }, name) };
      }
      case 'Activation':
        return this.activation(single(), config.activation, name);
      case 'ReLU': {
        single();
        if (config.max_value !== null && config.max_value !== undefined) {
          return { ...x, name: this.g.node('Clip', [x.name, this.g.floatConstant('zero', [], new Float32Array([0])), this.g.floatConstant('max', [], new Float32Array([Number(config.max_value)]))]) };
        }
        return { ...x, name: this.g.node('Relu', [x.name], {}, name) };
      }
      case 'LeakyReLU':
        return { ...single(), name: this.g.node('LeakyRelu', [x.name], { alpha: { float: typeof config.alpha === 'number' ? config.alpha : 0.3 } }, name) };
      case 'ELU':
        return { ...single(), name: this.g.node('Elu', [x.name], { alpha: { float: typeof config.alpha === 'number' ? config.alpha : 1 } }, name) };
      case 'Softmax': {
        single();
        if (config.axis !== undefined && config.axis !== -1 && !(Array.isArray(config.axis) && config.axis.length === 1 && config.axis[0] === -1)) {
          unsupported(`layer "${name}" takes the softmax over axis ${JSON.stringify(config.axis)}`);
        }
        return this.activation(x, 'softmax', name);
      }
      case 'Add':
      case 'Subtract':
      case 'Multiply':
      case 'Average':
      case 'Maximum':
      case 'Minimum': {
        if (inputs.length < 2) unsupported(`layer "${name}" needs at least two inputs`);
        if (inputs.some((v) => v.shape.join() !== x.shape.join())) unsupported(`layer "${name}" merges different shapes (broadcasting is not exported)`);
        const aligned = inputs.map((v) => (v.shape.length === 3 ? this.channelsFirst(v) : v));
        const op = { Add: 'Sum', Subtract: 'Sub', Multiply: 'Mul', Average: 'Mean', Maximum: 'Max', Minimum: 'Min' }[node.className]!;
        if (op === 'Sub' && inputs.length !== 2) unsupported(`layer "${name}" subtracts ${inputs.length} inputs`);
        if (op === 'Mul') {
          let y = aligned[0]!.name;
          for (const v of aligned.slice(1)) y = this.g.node('Mul', [y, v.name], {}, name);
          return { ...aligned[0]!, name: y };
        }
        // A two-input Add stays an Add so that onnxruntime can fuse it (Conv+Add+Relu).
        const opType = op === 'Sum' && aligned.length === 2 ? 'Add' : op;
        return { ...aligned[0]!, name: this.g.node(opType, aligned.map((v) => v.name), {}, name) };
      }
      case 'Concatenate': {
        if (inputs.length < 2) unsupported(`layer "${name}" needs at least two inputs`);
        const rank = x.shape.length + 1;
        const raw = typeof config.axis === 'number' ? config.axis : -1;
        const axis = raw < 0 ? rank + raw : raw;
        if (axis < 1 || axis >= rank) unsupported(`layer "${name}" concatenates along axis ${raw}`);
        const images = x.shape.length === 3;
        const aligned = inputs.map((v) => (images ? this.channelsFirst(v) : v));
        // Logical NHWC axis → the channels-first axis the values are stored with.
        const storedAxis = images ? [0, 2, 3, 1][axis]! : axis;
        const shape = [...x.shape];
        shape[axis - 1] = inputs.reduce((n, v) => n + v.shape[axis - 1]!, 0);
        return { name: this.g.node('Concat', aligned.map((v) => v.name), { axis: storedAxis }, name), shape, layout: aligned[0]!.layout };
      }
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        single();
        if (x.shape.length !== 3) unsupported(`layer "${name}" expects an image input`);
        if ((config.data_format ?? 'channels_last') !== 'channels_last') unsupported(`layer "${name}" uses data_format ${String(config.data_format)}`);
        const [kh, kw] = pair(config.pool_size, 2);
        const [sh, sw] = config.strides === null || config.strides === undefined ? [kh, kw] : pair(config.strides, kh);
        const [h, w, c] = x.shape as [number, number, number];
        let pads = [0, 0, 0, 0];
        let out: [number, number];
        if (config.padding === 'same') {
          const py = samePads(h, kh, sh, 1);
          const px = samePads(w, kw, sw, 1);
          pads = [py.begin, px.begin, py.end, px.end];
          out = [py.out, px.out];
        } else out = [validOut(h, kh, sh, 1), validOut(w, kw, sw, 1)];
        const cf = this.channelsFirst(x);
        const op = node.className === 'MaxPooling2D' ? 'MaxPool' : 'AveragePool';
        // TF's average pooling divides by the pixels inside the image (count_include_pad = 0, ONNX's default).
        const y = this.g.node(op, [cf.name], { kernel_shape: [kh, kw], strides: [sh, sw], pads }, name);
        return { name: y, shape: [out[0], out[1], c], layout: 'channels_first' };
      }
      case 'GlobalAveragePooling2D':
      case 'GlobalMaxPooling2D': {
        single();
        if (x.shape.length !== 3) unsupported(`layer "${name}" expects an image input`);
        if (config.keepdims === true) unsupported(`layer "${name}" keeps the pooled dimensions`);
        const cf = this.channelsFirst(x);
        const pooled = this.g.node(node.className === 'GlobalAveragePooling2D' ? 'GlobalAveragePool' : 'GlobalMaxPool', [cf.name], {}, name);
        return { name: this.g.node('Flatten', [pooled], { axis: 1 }), shape: [x.shape[2]!], layout: 'channels_last' };
      }
      case 'Flatten': {
        const plain = this.channelsLast(single());
        if (plain.shape.length === 1) return plain;
        return { name: this.g.node('Flatten', [plain.name], { axis: 1 }, name), shape: [plain.shape.reduce((n, d) => n * d, 1)], layout: 'channels_last' };
      }
      case 'Reshape': {
        const plain = this.channelsLast(single());
        const target = (config.target_shape as number[] | undefined) ?? unsupported(`layer "${name}" has no target_shape`);
        const total = plain.shape.reduce((n, d) => n * d, 1);
        const known = target.filter((d) => d !== -1).reduce((n, d) => n * d, 1);
        const shape = target.map((d) => (d === -1 ? total / known : d));
        return { name: this.g.node('Reshape', [plain.name, this.g.int64Constant('shape', [-1, ...shape])], {}, name), shape, layout: 'channels_last' };
      }
      case 'ZeroPadding2D': {
        single();
        if (x.shape.length !== 3) unsupported(`layer "${name}" expects an image input`);
        const p = config.padding;
        const [[top, bottom], [left, right]] = Array.isArray(p) && Array.isArray(p[0])
          ? (p as [[number, number], [number, number]])
          : [pair(Array.isArray(p) ? p[0] : p, 1), pair(Array.isArray(p) ? p[1] : p, 1)];
        const cf = this.channelsFirst(x);
        const y = this.g.node('Pad', [cf.name, this.g.int64Constant('pads', [0, 0, top, left, 0, 0, bottom, right])], { mode: 'constant' }, name);
        return { name: y, shape: [x.shape[0]! + top + bottom, x.shape[1]! + left + right, x.shape[2]!], layout: 'channels_first' };
      }
      case 'Dropout':
      case 'SpatialDropout1D':
      case 'GaussianNoise':
      case 'GaussianDropout':
        // Inference mode: these layers are the identity.
        return single();
      default:
        return unsupported(`layer "${name}" of class ${node.className} has no ONNX export`);
    }
  }

  finish(outputKey: string, inputShape: number[]): ExportedLayersModel {
    const out = this.values.get(outputKey) ?? unsupported(`output "${outputKey}" is never computed`);
    const plain = this.channelsLast(out);
    this.g.node('Identity', [plain.name], {}, 'output', OUTPUT_NAME);
    const unused = this.parameters.find((p) => !this.used.has(p.name));
    if (unused) unsupported(`weight "${unused.name}" is not used by any exported layer`);
    const floatTensor = (name: string, dims: (number | string)[]) =>
      onnx.ValueInfoProto.create({
        name,
        type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
      });
    const graph = onnx.GraphProto.create({
      name: 'tfjs_layers_export',
      node: this.g.nodes,
      initializer: this.g.initializers,
      input: [floatTensor(INPUT_NAME, ['N', ...inputShape])],
      output: [floatTensor(OUTPUT_NAME, ['N', ...plain.shape])],
    });
    const model = onnx.ModelProto.create({
      irVersion: 7,
      producerName: 'loss-atlas',
      opsetImport: [{ domain: '', version: OPSET }],
      graph,
    });
    return { model: onnx.ModelProto.encode(model).finish(), initializerMap: this.g.bindings, inputName: INPUT_NAME, outputName: OUTPUT_NAME, inputShape };
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The layer graph of a Sequential or Functional model, inputs first, each layer naming its inputs. */
function layerGraph(modelJson: unknown): { inputs: { name: string; shape: number[] }[]; layers: LayerNode[]; output: string } {
  const topology = isRecord(modelJson) ? modelJson.modelTopology : undefined;
  const root = isRecord(topology) && isRecord(topology.model_config) ? topology.model_config : topology;
  if (!isRecord(root) || !isRecord(root.config)) unsupported('modelTopology has no model config');
  const layerList = root.config.layers;
  if (!Array.isArray(layerList)) unsupported('model config has no layer list');
  const layers: LayerNode[] = [];
  const inputs: { name: string; shape: number[] }[] = [];
  const sampleShape = (config: Record<string, unknown>) => {
    const batch = config.batch_input_shape;
    return Array.isArray(batch) ? batch.slice(1).map((d) => (typeof d === 'number' ? d : -1)) : null;
  };
  if (root.class_name === 'Sequential') {
    let previous: string | null = null;
    for (const raw of layerList as Record<string, unknown>[]) {
      const className = String(raw.class_name);
      const config = (raw.config ?? {}) as Record<string, unknown>;
      const name = String(config.name ?? className);
      if (previous === null) {
        const shape = sampleShape(config) ?? unsupported('the first layer of the Sequential model has no batch_input_shape');
        inputs.push({ name: `${name}__input`, shape });
        previous = `${name}__input`;
      }
      if (className === 'InputLayer') {
        inputs[0] = { name, shape: inputs[0]!.shape };
        previous = name;
        continue;
      }
      layers.push({ name, className, config, inbound: [previous] });
      previous = name;
    }
    return { inputs, layers, output: previous ?? unsupported('the model has no layers') };
  }
  for (const raw of layerList as Record<string, unknown>[]) {
    const className = String(raw.class_name);
    const config = (raw.config ?? {}) as Record<string, unknown>;
    const name = String(raw.name ?? config.name);
    if (className === 'InputLayer') {
      inputs.push({ name, shape: sampleShape(config) ?? unsupported(`input "${name}" has no batch_input_shape`) });
      continue;
    }
    const nodes = raw.inbound_nodes;
    if (!Array.isArray(nodes) || nodes.length !== 1) unsupported(`layer "${name}" is applied ${Array.isArray(nodes) ? nodes.length : 0} times (shared layers are not exported)`);
    const inbound = (nodes[0] as unknown[]).map((entry) => {
      if (!Array.isArray(entry) || entry[1] !== 0 || entry[2] !== 0) unsupported(`layer "${name}" reads a shared layer's output`);
      return String(entry[0]);
    });
    layers.push({ name, className, config, inbound });
  }
  const outputs = root.config.output_layers;
  if (!Array.isArray(outputs) || outputs.length !== 1) unsupported('the model needs exactly one output');
  return { inputs, layers, output: String((outputs[0] as unknown[])[0]) };
}

/**
 * Export a tfjs Layers model to ONNX. `weights` is the flat float32 vector in the order and
 * layouts of describeLayersModel(modelJson).parameters (= weights.bin). The returned map lets
 * a new flat vector be written into the initializers without re-exporting. ContractError
 * ('model.json') for a layer or configuration outside the exported set.
 */
export function exportLayersToOnnx(modelJson: unknown, weights: Float32Array): ExportedLayersModel {
  const description = describeLayersModel(modelJson);
  const total = description.parameters.reduce((n, p) => n + p.size, 0);
  if (weights.length !== total) throw new ContractError('weights.bin', `holds ${weights.length} values, the model has ${total}`);
  const { inputs, layers, output } = layerGraph(modelJson);
  if (inputs.length !== 1) unsupported(`the model has ${inputs.length} inputs; exactly one is supported`);
  const exporter = new Exporter(description.parameters, weights);
  exporter.input(inputs[0]!.name, inputs[0]!.shape);
  const pending = [...layers];
  const done = new Set([inputs[0]!.name]);
  // Layers are listed in topological order by tfjs; the loop tolerates any order and catches cycles.
  while (pending.length > 0) {
    const index = pending.findIndex((l) => l.inbound.every((i) => done.has(i)));
    if (index < 0) unsupported(`layers ${pending.map((l) => l.name).join(', ')} depend on outputs that are never computed`);
    const [next] = pending.splice(index, 1);
    exporter.layer(next!);
    done.add(next!.name);
  }
  return exporter.finish(output, inputs[0]!.shape);
}
