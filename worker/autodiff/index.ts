import * as ort from 'onnxruntime-node';
import { ContractError, lossHasAccuracy, type LossName, type ParameterInfo } from '../../contract/index.ts';
import { initializerFloats, readOnnxModel } from '../../contract/onnx-model.ts';
import type { EvalData, ModelArtifact } from '../engine/evaluator.ts';
import { exportLayersToOnnx, type InitializerBinding } from '../engine/onnx/export-layers.ts';
import { parseModelJson } from '../engine/tfjs/artifact.ts';
import { appendTangents } from './forward.ts';
import { sizeOf, type Graph } from './graph.ts';
import { appendLoss, TARGETS_INPUT } from './losses.ts';
import { parseOnnx, shapedForwardGraph, type ForwardModel } from './model.ts';
import { appendGradients } from './reverse.ts';
import { toChannelsFirst } from '../numeric/channels-first.ts';

export { UnsupportedOperatorError } from './rules.ts';

/**
 * Exact gradients and Hessian-vector products of a model's loss on onnxruntime (CPU, MLAS):
 * reverse-mode autodiff over the model's ONNX graph emits a loss+gradient graph, and
 * forward-over-reverse (Pearlmutter's R-operator) on that graph an exact H·v graph, both of
 * standard ai.onnx operators. ONNX models are differentiated as uploaded; tfjs Layers models
 * through exportLayersToOnnx, whose bindings map gradients back into the tfjs flat layout.
 */

export interface GradientEngineOptions {
  /**
   * Which parameters are differentiated: 'weights' = trainable tensors of rank ≥ 2 (conv and
   * linear weights, as the reference's Hessian); 'trainable' = every trainable tensor (biases,
   * BN γ/β too). BN moving statistics never.
   */
  parameters: 'weights' | 'trainable';
  /**
   * 'moving': BN normalizes with the stored moving statistics (surfaces, Hessians). 'batch': with
   * each run's batch mean and biased variance (training); the numbers then depend on `batchSize`.
   */
  batchNorm: 'moving' | 'batch';
  loss: LossName;
  /** Intra-op threads of each onnxruntime session. Default 1. */
  threads?: number;
  /** Rows per onnxruntime run. Default 64. Sums are exact whatever the batching (moving BN). */
  batchSize?: number;
}

export interface EngineLossAndGradient {
  /** Mean per-sample loss over all N samples. */
  loss: number;
  /** ∂L/∂θ in the artifact's flat parameter layout; 0 where not differentiated. */
  gradient: Float32Array;
  /**
   * batchNorm 'batch' only: per run of `batchSize` rows, θ with each BN's moving mean/variance
   * entries replaced by that batch's mean and biased variance (for the caller's running update).
   */
  batchStatistics?: Float32Array[];
}

export interface GradientEngine {
  readonly parameterCount: number;
  /** 1 where the parameter is differentiated. */
  readonly mask: Uint8Array;
  /** θ* of the artifact (flat layout). */
  initialParameters(): Float32Array;
  setData(data: EvalData): Promise<void>;
  lossAndGradient(theta: Float32Array): Promise<EngineLossAndGradient>;
  /** H·v of the mean loss at θ over the differentiated parameters (0 elsewhere; v is read there only). */
  hessianVectorProduct(theta: Float32Array, v: Float32Array): Promise<Float32Array>;
  dispose(): Promise<void>;
}

const DEFAULT_RUN_ROWS = 64;
const TANGENT_SUFFIX = '__tangent';

interface Loaded {
  forward: ForwardModel;
  bindings: InitializerBinding[];
  theta: Float32Array;
  /** One sample as the graph takes it (-1 = free). */
  graphInputShape: number[];
  channelsFirstInput: boolean;
  field: string;
}

function loadArtifact(artifact: ModelArtifact): Loaded {
  if (artifact.format === 'onnx') {
    const file = artifact.files['model.onnx'];
    if (!file) throw new ContractError('model.onnx', 'the model has no model.onnx file');
    const reading = readOnnxModel(file);
    const parameters = reading.description.parameters;
    const theta = new Float32Array(parameters.reduce((n, p) => n + p.size, 0));
    const byName = new Map(reading.model.graph!.initializer.map((t) => [t.name, t]));
    for (const p of parameters) theta.set(initializerFloats(byName.get(p.name)!), p.offset);
    const bindings = parameters.map((p) => ({ parameter: p.name, initializer: p.name, offset: p.offset, size: p.size, gather: null }));
    const forward = parseOnnx(file, new Set(parameters.map((p) => p.name)));
    const shape = reading.description.inputShape;
    return { forward, bindings, theta, graphInputShape: shape, channelsFirstInput: shape.length === 3, field: 'model.onnx' };
  }
  const weights = artifact.files['weights.bin'];
  if (!weights) throw new ContractError('weights.bin', 'the model has no weights.bin file');
  const theta = new Float32Array(new Uint8Array(weights).slice().buffer);
  const exported = exportLayersToOnnx(parseModelJson(artifact.files), theta);
  const forward = parseOnnx(exported.model, new Set(exported.initializerMap.map((b) => b.initializer)));
  return { forward, bindings: exported.initializerMap, theta, graphInputShape: exported.inputShape, channelsFirstInput: false, field: 'model.json' };
}

function differentiated(info: ParameterInfo, mode: GradientEngineOptions['parameters']): boolean {
  return info.trainable && (mode === 'trainable' || info.shape.length >= 2);
}


interface BuiltGraph {
  session: ort.InferenceSession;
  loss: string;
  /** Output per differentiated binding (same order as `differentiatedBindings`). */
  gradients: string[];
  products: string[];
  statistics: { movingMean: string; movingVariance: string; mean: string; variance: string }[];
  targetWidth: number;
}

interface Chunk {
  rows: number;
  x: ort.Tensor;
  targets: ort.Tensor;
}

export async function createGradientEngine(artifact: ModelArtifact, options: GradientEngineOptions): Promise<GradientEngine> {
  const loaded = loadArtifact(artifact);
  const infoByName = new Map(artifact.parameters.map((p) => [p.name, p]));
  const parameterCount = loaded.theta.length;
  if (artifact.parameters.reduce((n, p) => n + p.size, 0) !== parameterCount) {
    throw new ContractError(loaded.field, 'the stored parameter model does not match the model file');
  }
  const mask = new Uint8Array(parameterCount);
  const differentiatedBindings = loaded.bindings.filter((b) => {
    const info = infoByName.get(b.parameter);
    if (!info) throw new ContractError(loaded.field, `parameter "${b.parameter}" is not in the stored parameter model`);
    return differentiated(info, options.parameters);
  });
  for (const b of differentiatedBindings) mask.fill(1, b.offset, b.offset + b.size);
  const runRows = options.batchSize ?? DEFAULT_RUN_ROWS;
  if (!Number.isInteger(runRows) || runRows < 1) throw new ContractError('batchSize', `must be a positive integer, got ${runRows}`);
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: options.threads ?? 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  };
  const dims = loaded.forward.parameters;
  const parameterFeeds = new Map(loaded.bindings.map((b) => [b.initializer, new ort.Tensor('float32', new Float32Array(b.size), dims.get(b.initializer)!)]));
  const tangentFeeds = new Map(differentiatedBindings.map((b) => [b.initializer, new ort.Tensor('float32', new Float32Array(b.size), dims.get(b.initializer)!)]));
  const graphs = new Map<string, Promise<BuiltGraph>>();
  let data: { chunks: Chunk[]; n: number; sampleShape: number[] } | null = null;

  const fill = (target: Float32Array, flat: Float32Array, b: InitializerBinding) => {
    const source = flat.subarray(b.offset, b.offset + b.size);
    if (b.gather) for (let i = 0; i < b.size; i++) target[i] = source[b.gather[i]!]!;
    else target.set(source);
  };
  /** ONNX-layout values of a binding into its entries of a flat vector. */
  const place = (flat: Float32Array, values: Float32Array, b: InitializerBinding) => {
    if (b.gather) for (let i = 0; i < b.size; i++) flat[b.offset + b.gather[i]!] = values[i]!;
    else flat.set(values, b.offset);
  };
  const accumulate = (sum: Float64Array, values: Float32Array, b: InitializerBinding) => {
    if (b.gather) for (let i = 0; i < b.size; i++) sum[b.offset + b.gather[i]!] += values[i]!;
    else for (let i = 0; i < b.size; i++) sum[b.offset + i] += values[i]!;
  };

  async function build(kind: 'gradient' | 'hvp', rows: number, sampleShape: number[]): Promise<BuiltGraph> {
    const initial = new Map(loaded.bindings.map((b) => {
      const values = new Float32Array(b.size);
      fill(values, loaded.theta, b);
      return [b.initializer, values];
    }));
    const g: Graph = await shapedForwardGraph(loaded.forward, rows, sampleShape, initial, loaded.field, options.batchNorm);
    const appended = appendLoss(g, options.loss, artifact.outputActivation);
    const wrt = differentiatedBindings.map((b) => b.initializer);
    const gradientValues = appendGradients(g, appended.loss, wrt, loaded.field);
    const dense = (value: string | null, parameter: string) => value ?? g.zeros(dims.get(parameter)!);
    const gradients = wrt.map((p) => dense(gradientValues.get(p)!, p));
    let products: string[] = [];
    if (kind === 'hvp') {
      const seeds = new Map<string, string>();
      for (const p of wrt) {
        const tangent = p + TANGENT_SUFFIX;
        g.inputs.push(tangent);
        g.values.set(tangent, { shape: dims.get(p)!, dtype: 'float32' });
        seeds.set(p, tangent);
      }
      const tangents = appendTangents(g, [...g.nodes], seeds, loaded.field);
      products = wrt.map((p, k) => dense(tangents.get(gradients[k]!) ?? null, p));
    }
    const statistics = [...g.batchStatistics];
    const outputs = [appended.loss, ...gradients, ...products, ...statistics.flatMap((s) => [s.mean, s.variance])];
    // An output listed twice (two parameters with one gradient value) is read from one name.
    const session = await ort.InferenceSession.create(g.encode([...new Set(outputs)]), sessionOptions);
    return { session, loss: appended.loss, gradients, products, statistics, targetWidth: appended.targetWidth };
  }

  function graphFor(kind: 'gradient' | 'hvp', rows: number): Promise<BuiltGraph> {
    const key = `${kind}:${rows}`;
    let built = graphs.get(key);
    if (!built) {
      built = build(kind, rows, data!.sampleShape);
      graphs.set(key, built);
      built.catch(() => graphs.delete(key));
    }
    return built;
  }

  function setParameters(theta: Float32Array): void {
    if (theta.length !== parameterCount) throw new ContractError('parameters', `vector has ${theta.length} values, the model has ${parameterCount}`);
    for (const b of loaded.bindings) fill(parameterFeeds.get(b.initializer)!.data as Float32Array, theta, b);
  }

  async function run(kind: 'gradient' | 'hvp', chunk: Chunk): Promise<{ built: BuiltGraph; results: ort.InferenceSession.OnnxValueMapType }> {
    const built = await graphFor(kind, chunk.rows);
    const feeds: Record<string, ort.Tensor> = { [loaded.forward.dataInput]: chunk.x, [TARGETS_INPUT]: chunk.targets };
    for (const [name, t] of parameterFeeds) feeds[name] = t;
    if (kind === 'hvp') for (const [name, t] of tangentFeeds) feeds[name + TANGENT_SUFFIX] = t;
    return { built, results: await built.session.run(feeds) };
  }

  function requireData() {
    if (!data) throw new Error('setData must be called first');
    return data;
  }

  return {
    parameterCount,
    mask,
    initialParameters: () => loaded.theta.slice(),

    async setData(evalData: EvalData) {
      let sampleShape = evalData.inputShape;
      let x = evalData.x;
      const fits = (expected: number[], actual: number[]) => expected.length === actual.length && expected.every((d, i) => d === -1 || d === actual[i]);
      if (!fits(loaded.graphInputShape, sampleShape)) {
        const [h, w, c] = sampleShape;
        const transposed = [c!, h!, w!];
        if (loaded.channelsFirstInput && sampleShape.length === 3 && fits(loaded.graphInputShape, transposed)) {
          x = toChannelsFirst(evalData.x, evalData.n, sampleShape);
          sampleShape = transposed;
        } else {
          throw new ContractError('dataset', `samples have shape [${evalData.inputShape}] but the model expects [${loaded.graphInputShape}]`);
        }
      }
      const n = evalData.n;
      const sampleSize = sizeOf(sampleShape);
      if (n < 1) throw new ContractError('dataset', 'has no samples');
      if (x.length !== n * sampleSize) throw new ContractError('dataset', `x holds ${x.length} values, not n × sample size = ${n * sampleSize}`);
      if (lossHasAccuracy(options.loss) && options.loss !== 'binary_crossentropy' && !(evalData.y instanceof Int32Array)) {
        throw new ContractError('loss', 'cross-entropy losses need integer class labels; the dataset has float targets');
      }
      const previous = data;
      data = { chunks: [], n, sampleShape };
      for (const chunk of previous?.chunks ?? []) {
        chunk.x.dispose();
        chunk.targets.dispose();
      }
      if (previous && previous.sampleShape.join() !== sampleShape.join()) {
        for (const built of graphs.values()) void built.then((b) => b.session.release(), () => undefined);
        graphs.clear();
      }
      // The targets' width is the model's output width, known once a graph is built.
      const width = (await graphFor('gradient', Math.min(runRows, n))).targetWidth;
      const categorical = options.loss === 'categorical_crossentropy' || options.loss === 'sparse_categorical_crossentropy';
      for (let start = 0; start < n; start += runRows) {
        const rows = Math.min(runRows, n - start);
        const targets = new Float32Array(rows * width);
        if (categorical) {
          for (let i = 0; i < rows; i++) {
            const label = evalData.y[start + i]!;
            if (!(label >= 0 && label < width)) throw new ContractError('dataset', `class label ${label} is out of range for a model with ${width} classes`);
            targets[i * width + label] = 1;
          }
        } else {
          if (evalData.y.length !== n * width) throw new ContractError('dataset', `y holds ${evalData.y.length} values, the model outputs ${width} per sample`);
          targets.set(evalData.y.subarray(start * width, (start + rows) * width));
        }
        data.chunks.push({
          rows,
          x: new ort.Tensor('float32', x.subarray(start * sampleSize, (start + rows) * sampleSize), [rows, ...sampleShape]),
          targets: new ort.Tensor('float32', targets, [rows, width]),
        });
      }
    },

    async lossAndGradient(theta: Float32Array) {
      const { chunks, n } = requireData();
      setParameters(theta);
      let lossSum = 0;
      const sum = new Float64Array(parameterCount);
      const batchStatistics: Float32Array[] = [];
      for (const chunk of chunks) {
        const { built, results } = await run('gradient', chunk);
        lossSum += (results[built.loss]!.data as Float32Array)[0]!;
        differentiatedBindings.forEach((b, k) => accumulate(sum, results[built.gradients[k]!]!.data as Float32Array, b));
        if (options.batchNorm === 'batch') {
          const stats = theta.slice();
          const bindingOf = new Map(loaded.bindings.map((b) => [b.initializer, b]));
          for (const s of built.statistics) {
            place(stats, results[s.mean]!.data as Float32Array, bindingOf.get(s.movingMean)!);
            place(stats, results[s.variance]!.data as Float32Array, bindingOf.get(s.movingVariance)!);
          }
          batchStatistics.push(stats);
        }
        for (const t of Object.values(results)) t.dispose();
      }
      const gradient = new Float32Array(parameterCount);
      for (let i = 0; i < parameterCount; i++) gradient[i] = sum[i]! / n;
      return { loss: lossSum / n, gradient, ...(options.batchNorm === 'batch' ? { batchStatistics } : {}) };
    },

    async hessianVectorProduct(theta: Float32Array, v: Float32Array) {
      const { chunks, n } = requireData();
      if (v.length !== parameterCount) throw new ContractError('vector', `has ${v.length} values, the model has ${parameterCount}`);
      setParameters(theta);
      for (const b of differentiatedBindings) fill(tangentFeeds.get(b.initializer)!.data as Float32Array, v, b);
      const sum = new Float64Array(parameterCount);
      for (const chunk of chunks) {
        const { built, results } = await run('hvp', chunk);
        differentiatedBindings.forEach((b, k) => accumulate(sum, results[built.products[k]!]!.data as Float32Array, b));
        for (const t of Object.values(results)) t.dispose();
      }
      const product = new Float32Array(parameterCount);
      for (let i = 0; i < parameterCount; i++) product[i] = sum[i]! / n;
      return product;
    },

    async dispose() {
      for (const chunk of data?.chunks ?? []) {
        chunk.x.dispose();
        chunk.targets.dispose();
      }
      data = null;
      const built = [...graphs.values()];
      graphs.clear();
      for (const b of built) await b.then((x) => x.session.release(), () => undefined);
    },
  };
}
