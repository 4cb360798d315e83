import * as ort from 'onnxruntime-node';
import { appendTangents } from '../forward.ts';
import { Graph, sizeOf, type AttributeValue, type Tensor } from '../graph.ts';
import { RULES } from '../registry.ts';
import { appendGradients } from '../reverse.ts';

/**
 * Test support for the operator rules: one node in a graph, its rules' graphs run in
 * onnxruntime (float32), against float64 central finite differences of an independent float64
 * reference of the operator. The scalar differentiated is L = Σ w ⊙ y for a fixed random w, so
 * every output element counts. Three checks:
 *  - gradient: ∂L/∂x from the reverse rule vs. finite differences of L;
 *  - jvp: ẏ from the forward rule vs. (y(x + εv) − y(x − εv)) / 2ε;
 *  - hvp: uᵀ·(H v) from forward-over-reverse vs. the float64 mixed second difference of L
 *    (exercises the forward rules of every operator the reverse rule emits).
 */

export interface CheckInput {
  name: string;
  shape: number[];
  /** Float inputs are differentiated unless `constant`; int64 and bool inputs are always constants (axes, shapes, masks). */
  values: number[] | Float64Array;
  dtype?: 'float32' | 'int64' | 'bool';
  constant?: boolean;
}

export interface OpCheck {
  op: string;
  attributes?: Record<string, AttributeValue>;
  inputs: CheckInput[];
  outputShape: number[];
  /** float64 reference of output 0 from the float inputs (in `inputs` order, constants included). */
  reference: (inputs: Float64Array[]) => Float64Array;
  /** Extra outputs the node has (e.g. MaxPool's Indices), with their shapes and types. */
  extraOutputs?: { shape: number[]; dtype: 'float32' | 'int64' }[];
  seed?: number;
  /** BatchNormalization's mode when the operator is lowered. */
  batchNorm?: 'moving' | 'batch';
}

export interface CheckResult {
  gradient: number;
  jvp: number;
  hvp: number;
}

function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296 - 0.5;
  };
}

function relative(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let r = 0;
  for (let i = 0; i < b.length; i++) {
    d += (a[i]! - b[i]!) ** 2;
    r += b[i]! ** 2;
  }
  return Math.sqrt(d / Math.max(r, 1e-30));
}

export async function checkOp(spec: OpCheck): Promise<CheckResult> {
  const rnd = random(spec.seed ?? 7);
  const floats = spec.inputs.filter((i) => (i.dtype ?? 'float32') === 'float32');
  const free = floats.filter((i) => !i.constant);
  const w = Float64Array.from({ length: sizeOf(spec.outputShape) }, () => rnd() * 2);
  const values = spec.inputs.map((i) => Float64Array.from(i.values));
  const floatValues = () => spec.inputs.map((_, k) => values[k]!).filter((_, k) => (spec.inputs[k]!.dtype ?? 'float32') === 'float32');
  const loss64 = () => {
    const y = spec.reference(floatValues());
    let s = 0;
    for (let i = 0; i < y.length; i++) s += w[i]! * y[i]!;
    return s;
  };

  const g = new Graph(17);
  const tensors: Record<string, ort.Tensor> = {};
  for (const input of spec.inputs) {
    const dtype = input.dtype ?? 'float32';
    if (dtype !== 'float32' || input.constant) {
      const t: Tensor = dtype === 'int64'
        ? { dtype, dims: input.shape, data: BigInt64Array.from(Array.from(input.values, (v) => BigInt(v))) }
        : dtype === 'bool'
          ? { dtype, dims: input.shape, data: Uint8Array.from(input.values) }
          : { dtype, dims: input.shape, data: Float32Array.from(input.values) };
      g.constants.set(input.name, t);
    } else {
      g.inputs.push(input.name);
      tensors[input.name] = new ort.Tensor('float32', Float32Array.from(input.values), input.shape);
    }
    g.values.set(input.name, { shape: input.shape, dtype });
  }
  const outputs = [{ shape: spec.outputShape, dtype: 'float32' as const }, ...(spec.extraOutputs ?? [])];
  // Lowered operators are checked through their lowering (as the engine differentiates them).
  const lower = RULES.get(spec.op)?.lower;
  const node = { op: spec.op, name: 'y', inputs: spec.inputs.map((i) => i.name), outputs: ['y'], attributes: spec.attributes ?? {} };
  g.values.set('y', outputs[0]!);
  const [y] = lower
    ? lower({ g, node, batchNorm: spec.batchNorm ?? 'moving', uses: () => 1 })
    : g.emitMulti(spec.op, node.inputs, node.attributes, outputs, 'y');
  const wName = g.constant({ dtype: 'float32', dims: spec.outputShape, data: Float32Array.from(w) }, 'w');
  const loss = g.emit('ReduceSum', [g.emit('Mul', [y!, wName], {}, spec.outputShape)], { keepdims: 0 }, []);
  const gradients = appendGradients(g, loss, free.map((i) => i.name), 'test');
  const seeds = new Map<string, string>();
  const v = free.map((i) => Float64Array.from({ length: sizeOf(i.shape) }, () => rnd() * 2));
  free.forEach((input, k) => {
    const name = `${input.name}__v`;
    g.inputs.push(name);
    g.values.set(name, { shape: input.shape, dtype: 'float32' });
    seeds.set(input.name, name);
    tensors[name] = new ort.Tensor('float32', Float32Array.from(v[k]!), input.shape);
  });
  const gradientNames = free.map((i) => gradients.get(i.name)!);
  // One forward-mode pass over the forward and the backward nodes: ẏ and H·v together.
  const tangents = appendTangents(g, [...g.nodes], seeds, 'test');
  const yTangent = tangents.get(y!);
  const products = gradientNames.map((name) => tangents.get(name));
  if (!yTangent || gradientNames.some((n) => !n)) throw new Error(`${spec.op}: a rule produced no tangent or gradient`);
  // A null product is an exact zero (the operator is linear or piecewise linear in its inputs).
  const outputNames = [...new Set([yTangent, ...gradientNames, ...products.filter((p): p is string => p !== undefined)])];
  const session = await ort.InferenceSession.create(g.encode(outputNames), { graphOptimizationLevel: 'all' });
  const results = await session.run(tensors);
  await session.release();
  await expectDeclaredShapes(g, tensors, spec.op);

  // gradient
  const gradientErrors: number[] = [];
  const hvpErrors: number[] = [];
  const eps = 1e-6;
  free.forEach((input, k) => {
    const index = spec.inputs.indexOf(input);
    const x = values[index]!;
    const fd = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const keep = x[i]!;
      x[i] = keep + eps;
      const up = loss64();
      x[i] = keep - eps;
      const down = loss64();
      x[i] = keep;
      fd[i] = (up - down) / (2 * eps);
    }
    gradientErrors.push(relative(results[gradientNames[k]!]!.data as Float32Array, fd));
  });
  // jvp
  const shift = (scale: number) => free.forEach((input, k) => {
    const x = values[spec.inputs.indexOf(input)]!;
    for (let i = 0; i < x.length; i++) x[i] = x[i]! + scale * v[k]![i]!;
  });
  shift(eps);
  const yUp = spec.reference(floatValues());
  shift(-2 * eps);
  const yDown = spec.reference(floatValues());
  shift(eps);
  const jvpFd = yUp.map((u, i) => (u - yDown[i]!) / (2 * eps));
  const jvp = relative(results[yTangent]!.data as Float32Array, jvpFd);
  // hvp: uᵀ H v for random u against the mixed second difference.
  const h = 1e-3;
  for (let trial = 0; trial < 3; trial++) {
    const u = free.map((i) => Float64Array.from({ length: sizeOf(i.shape) }, () => rnd() * 2));
    const move = (a: number, b: number) => free.forEach((input, k) => {
      const x = values[spec.inputs.indexOf(input)]!;
      for (let i = 0; i < x.length; i++) x[i] = x[i]! + a * u[k]![i]! + b * v[k]![i]!;
    });
    move(h, h);
    const pp = loss64();
    move(0, -2 * h);
    const pm = loss64();
    move(-2 * h, 0);
    const mm = loss64();
    move(0, 2 * h);
    const mp = loss64();
    move(h, -h);
    const second = (pp - pm - mp + mm) / (4 * h * h);
    let exact = 0;
    free.forEach((_, k) => {
      const name = products[k];
      if (name === undefined) return;
      const product = results[name]!.data as Float32Array;
      for (let i = 0; i < product.length; i++) exact += u[k]![i]! * product[i]!;
    });
    hvpErrors.push(Math.abs(exact - second) / Math.max(Math.abs(second), 1e-3));
  }
  return { gradient: Math.max(...gradientErrors), jvp, hvp: Math.max(...hvpErrors) };
}

/** Relative error ‖a − b‖ / ‖b‖ in float64. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let difference = 0;
  let reference = 0;
  for (let i = 0; i < b.length; i++) {
    difference += (a[i]! - b[i]!) ** 2;
    reference += b[i]! ** 2;
  }
  return Math.sqrt(difference / reference);
}

export function values(count: number, seed: number, scale = 1, offset = 0): Float64Array {
  const rnd = random(seed);
  return Float64Array.from({ length: count }, () => offset + scale * 2 * rnd());
}

/** checkOp for an elementwise unary operator on a [3, 4] tensor with float64 reference `f`. */
export function checkUnary(op: string, f: (x: number) => number, x: Float64Array, attributes: Record<string, AttributeValue> = {}): Promise<CheckResult> {
  return checkOp({ op, attributes, inputs: [{ name: 'x', shape: [3, 4], values: x }], outputShape: [3, 4], reference: ([a]) => a!.map(f) });
}

/** 12 values of alternating sign with |x| ≥ 0.25: finite-difference steps never cross a kink at 0. */
export function awayFromZero(seed: number): Float64Array {
  return values(12, seed).map((v, i) => (i % 2 ? 1 : -1) * (0.25 + Math.abs(v)));
}

/**
 * Every value the rules emitted has the shape the graph declares for it (rules read declared
 * shapes to emit the next nodes, and `reshape` skips a reshape to the shape a value is declared
 * to have): all node outputs are run as graph outputs and their dims compared.
 */
async function expectDeclaredShapes(g: Graph, tensors: Record<string, ort.Tensor>, op: string): Promise<void> {
  const names = [...new Set(g.nodes.flatMap((n) => n.outputs).filter((o) => o !== ''))];
  const session = await ort.InferenceSession.create(g.encode(names), { graphOptimizationLevel: 'disabled' });
  const results = await session.run(tensors);
  await session.release();
  for (const name of names) {
    const got = results[name]!.dims;
    const declared = g.shape(name);
    if (got.length !== declared.length || got.some((d, i) => d !== declared[i])) {
      throw new Error(`${op}: value "${name}" is declared [${declared}] but onnxruntime computes [${got}]`);
    }
  }
}
