import * as ort from 'onnxruntime-node';
import { ContractError, lossHasAccuracy, type LossName, type ParameterInfo } from '../../contract/index.ts';
import { channelsFirstShape, modelFormat } from '../../contract/formats/index.ts';
import type { EvalData, ModelArtifact } from '../engine/evaluator.ts';
import type { InitializerBinding } from '../engine/onnx/export-layers.ts';
import { initializerSlots, type ByteSlot } from '../engine/onnx/initializer-slots.ts';
import { modelGraph, readBinding, writeBinding } from '../engine/onnx/model-graph.ts';
import { appendTangents } from './forward.ts';
import { sizeOf, type DType, type Graph } from './graph.ts';
import { appendLoss, TARGETS_INPUT } from './losses.ts';
import { parseOnnx, shapedForwardGraph } from './model.ts';
import { appendGradients, dependents } from './reverse.ts';
import { toChannelsFirst } from '../numeric/channels-first.ts';
import { sameValues } from '../numeric/vector.ts';

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
  /**
   * Bytes the H·v path may keep of the values that do not depend on v (activations, ReLU masks,
   * the loss's cotangents, the weight gradients' stacked copies) for all of the data at one θ, so
   * that every further product there computes only the terms in v. Default 1 GiB (ResNet-20 at
   * 32×32 needs 7.6 MB per sample: 141 samples fit; the process grows by about 1.5× what it keeps,
   * measured). Past it, every product computes everything.
   */
  primalCacheBytes?: number;
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
const DEFAULT_PRIMAL_CACHE_BYTES = 2 ** 30;
const DTYPE_BYTES: Record<DType, number> = { float32: 4, float64: 8, int64: 8, int32: 4, uint8: 1, int8: 1, bool: 1 };
const TANGENT_SUFFIX = '__tangent';

function differentiated(info: ParameterInfo, mode: GradientEngineOptions['parameters']): boolean {
  return info.trainable && (mode === 'trainable' || info.shape.length >= 2);
}

/**
 * The loss+gradient graph in two forms. `fed`: θ as graph inputs, fed with every run (one session
 * for every θ). `patched`: θ as initializers (a session per θ), on which onnxruntime runs the
 * forward and input-gradient convolutions on its prepacked path, faster per chunk, for a session
 * that costs about one chunk's gain. So a call of one chunk (a training step) runs `fed`, and a
 * call of more (gradient flow, BN recalibration) `patched`. W1 at a new θ (bench/autodiff.ts):
 * 1000 samples (16 chunks) 20 % faster on one thread, 18 % on two; 64 samples (one chunk) 5–10 %
 * slower on one thread, the same on two.
 */
interface GradientGraph {
  fed: { bytes: Uint8Array; session: ort.InferenceSession | null };
  patched: PatchedGraph;
  loss: string;
  /** Output per differentiated binding (same order as `differentiatedBindings`). */
  gradients: string[];
  statistics: { movingMean: string; movingVariance: string; mean: string; variance: string }[];
  targetWidth: number;
}

/**
 * A graph with θ as initializers: its serialized bytes with the byte slot of each parameter's
 * initializer (same order as `bindings`). A new θ is written into the bytes and a session created
 * for it, then every run at that θ (a Lanczos run's dozens of products, a gradient's chunks) reuses
 * the session. onnxruntime folds everything that depends on θ alone (flipped kernels of the input
 * gradients, BN into the convolutions) and runs the convolutions by W on its prepacked NCHWc path,
 * about twice as fast as with θ fed as inputs (bench/autodiff.ts).
 */
interface PatchedGraph {
  bytes: Uint8Array;
  slots: (ByteSlot | null)[];
  session: ort.InferenceSession | null;
  /** The θ version the session holds. */
  thetaVersion: number;
}

/** The θ that sessions of θ-initializer graphs are built for: a copy, and a version bumped whenever it changes. */
interface VersionedTheta {
  values: Float32Array;
  version: number;
}

/**
 * The H·v graph (θ as initializers, v as inputs), whole and cut in two. Forward-over-reverse
 * recomputes with every product the values that do not depend on v: the forward pass, the loss's
 * backward pass and the weight gradients' stacked copies, a quarter to a third of a product's
 * time on ResNet-20 (bench/autodiff.ts). `primal` computes those that the terms in v read, once
 * per θ and chunk; `tangent` reads them as inputs. The halves run the operators of `whole`; the
 * primal half's convolutions take θ as inputs, so a product may differ from whole's in the last
 * bits (conv-net.test.ts bounds it).
 */
interface ProductGraph {
  /** Output per differentiated binding (same order as `differentiatedBindings`). */
  products: string[];
  targetWidth: number;
  whole: PatchedGraph;
  split: { primal: ort.InferenceSession; tangent: PatchedGraph; boundaryBytes: number } | null;
}

interface Chunk {
  rows: number;
  x: ort.Tensor;
  /** Labels (classification) or target rows of this chunk, made into the targets tensor once the graph gives its width. */
  y: Int32Array | Float32Array;
  targets: ort.Tensor | null;
}

export async function createGradientEngine(artifact: ModelArtifact, options: GradientEngineOptions): Promise<GradientEngine> {
  const graph = modelGraph(artifact);
  const { bindings, field } = graph;
  const forward = parseOnnx(graph.bytes, new Set(bindings.map((b) => b.initializer)));
  const infoByName = new Map(artifact.parameters.map((p) => [p.name, p]));
  const parameterCount = graph.theta.length;
  const mask = new Uint8Array(parameterCount);
  const differentiatedBindings = bindings.filter((b) => differentiated(infoByName.get(b.parameter)!, options.parameters));
  for (const b of differentiatedBindings) mask.fill(1, b.offset, b.offset + b.size);
  const runRows = options.batchSize ?? DEFAULT_RUN_ROWS;
  if (!Number.isInteger(runRows) || runRows < 1) throw new ContractError('batchSize', `must be a positive integer, got ${runRows}`);
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: options.threads ?? 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  };
  const dims = forward.parameters;
  const feedsOf = (list: InitializerBinding[]) => new Map(list.map((b) => [b.initializer, new ort.Tensor('float32', new Float32Array(b.size), dims.get(b.initializer)!)]));
  /** θ of the gradient graphs run with θ fed (a call of one chunk). */
  const parameterFeeds = feedsOf(bindings);
  /** θ of the primal half of the H·v graphs (its own tensors: a gradient call may interleave). */
  const primalParameterFeeds = feedsOf(bindings);
  const tangentFeeds = feedsOf(differentiatedBindings);
  const scratch = new Float32Array(bindings.reduce((n, b) => Math.max(n, b.size), 0));
  const bindingOf = new Map(bindings.map((b) => [b.initializer, b]));
  /** Each feed takes its binding's values of `values` (a flat θ or v). */
  const writeFeeds = (feeds: Map<string, ort.Tensor>, values: Float32Array) => {
    for (const [name, t] of feeds) readBinding(t.data as Float32Array, values, bindingOf.get(name)!);
  };
  const gradientGraphs = new Map<number, Promise<GradientGraph>>();
  const productGraphs = new Map<number, Promise<ProductGraph>>();
  /** labelsPerSample: 1 for classification, P for segmentation (per-pixel labels), the row width for mse. */
  let data: { chunks: Chunk[]; n: number; sampleShape: number[]; labelsPerSample: number } | null = null;
  const gradientTheta: VersionedTheta = { values: new Float32Array(parameterCount), version: 0 };
  const productTheta: VersionedTheta = { values: new Float32Array(parameterCount), version: 0 };
  const primalCacheBytes = options.primalCacheBytes ?? DEFAULT_PRIMAL_CACHE_BYTES;
  /** Per chunk, its primal values at the product θ of `thetaVersion` (split product graphs only). */
  const primalCache = new Map<Chunk, { thetaVersion: number; values: Record<string, ort.Tensor> }>();

  const accumulate = (sum: Float64Array, values: Float32Array, b: InitializerBinding) => {
    if (b.gather) for (let i = 0; i < b.size; i++) sum[b.offset + b.gather[i]!] += values[i]!;
    else for (let i = 0; i < b.size; i++) sum[b.offset + i] += values[i]!;
  };

  /** The shaped forward graph with the loss and its gradients appended (θ as inputs). */
  async function differentiate(rows: number) {
    const initial = new Map(bindings.map((b) => {
      const values = new Float32Array(b.size);
      readBinding(values, graph.theta, b);
      return [b.initializer, values];
    }));
    const g: Graph = await shapedForwardGraph(forward, rows, requireData().sampleShape, initial, field, options.batchNorm);
    const appended = appendLoss(g, options.loss, artifact.outputActivation, requireData().labelsPerSample);
    const wrt = differentiatedBindings.map((b) => b.initializer);
    const gradientValues = appendGradients(g, appended.loss, wrt, field);
    const gradients = wrt.map((p) => gradientValues.get(p) ?? g.zeros(dims.get(p)!));
    return { g, appended, gradients, initial };
  }

  async function buildGradientGraph(rows: number): Promise<GradientGraph> {
    const { g, appended, gradients, initial } = await differentiate(rows);
    const statistics = [...g.batchStatistics];
    // An output listed twice (two parameters with one gradient value) is read from one name.
    const outputs = [...new Set([appended.loss, ...gradients, ...statistics.flatMap((s) => [s.mean, s.variance])])];
    const fed = { bytes: g.encode(outputs), session: null };
    parametersAsInitializers(g, initial);
    return { fed, patched: patched(g.encode(outputs)), loss: appended.loss, gradients, statistics, targetWidth: appended.targetWidth };
  }

  /** θ (its values at the artifact's θ*, a placeholder PatchedGraph overwrites) moves from the graph's inputs to its initializers. */
  function parametersAsInitializers(g: Graph, initial: Map<string, Float32Array>): void {
    const parameterNames = new Set(bindings.map((b) => b.initializer));
    g.inputs = g.inputs.filter((name) => !parameterNames.has(name));
    for (const b of bindings) g.constants.set(b.initializer, { dtype: 'float32', dims: dims.get(b.initializer)!, data: initial.get(b.initializer)! });
  }

  async function buildProductGraph(rows: number): Promise<ProductGraph> {
    const { g, appended, gradients, initial } = await differentiate(rows);
    const seeds = new Map<string, string>();
    for (const b of differentiatedBindings) {
      const tangent = b.initializer + TANGENT_SUFFIX;
      g.inputs.push(tangent);
      g.values.set(tangent, { shape: dims.get(b.initializer)!, dtype: 'float32' });
      seeds.set(b.initializer, tangent);
    }
    const tangents = appendTangents(g, [...g.nodes], seeds, field);
    const products = differentiatedBindings.map((b, k) => tangents.get(gradients[k]!) ?? g.zeros(dims.get(b.initializer)!));
    // Only the products are read, so the loss and the gradient's own weight terms are left out.
    const outputs = [...new Set(products)];
    const boundary = primalBoundary(g, outputs, [forward.dataInput, TARGETS_INPUT], [...seeds.values()]);
    const boundaryBytes = boundary.reduce((sum, name) => sum + sizeOf(g.shape(name)) * DTYPE_BYTES[g.info(name).dtype], 0);
    // The primal half runs once per θ: θ stays a graph input there (no session per θ).
    const primal = boundary.length === 0 ? null : await ort.InferenceSession.create(g.encode(boundary, new Set()), sessionOptions);
    parametersAsInitializers(g, initial);
    return {
      products,
      targetWidth: appended.targetWidth,
      whole: patched(g.encode(outputs)),
      split: primal && { primal, tangent: patched(g.encode(outputs, new Set(boundary))), boundaryBytes },
    };
  }

  /** A cut graph holds only the parameters its nodes read (none for a linear model's tangent half): the others have no slot. */
  function patched(bytes: Uint8Array): PatchedGraph {
    const located = initializerSlots(bytes);
    const slots = bindings.map((b) => {
      const slot = located.get(b.initializer);
      if (!slot) return null;
      if (slot.byteLength !== b.size * 4) throw new Error(`initializer "${b.initializer}" has no raw float32 data of ${b.size} values`);
      return slot;
    });
    return { bytes, slots, session: null, thetaVersion: -1 };
  }

  function cached<T>(map: Map<number, Promise<T>>, rows: number, build: (rows: number) => Promise<T>): Promise<T> {
    let built = map.get(rows);
    if (!built) {
      built = build(rows);
      map.set(rows, built);
      built.catch(() => map.delete(rows));
    }
    return built;
  }

  /** Makes `theta` the θ of `at`, a new version only when its values changed. */
  function moveTo(at: VersionedTheta, theta: Float32Array): void {
    // A NaN entry never equals: the session is then rebuilt, which is only slower.
    if (at.version === 0 || !sameValues(at.values, theta)) {
      at.values.set(theta);
      at.version++;
    }
  }

  /** A θ-initializer graph's session for the θ of `at` (built when that θ is new to the graph). */
  async function sessionAt(graph: PatchedGraph, at: VersionedTheta): Promise<ort.InferenceSession> {
    if (graph.session && graph.thetaVersion === at.version) return graph.session;
    const view = new Uint8Array(scratch.buffer);
    bindings.forEach((b, k) => {
      const slot = graph.slots[k];
      if (!slot) return;
      readBinding(scratch, at.values, b);
      graph.bytes.set(view.subarray(0, b.size * 4), slot.start);
    });
    const previous = graph.session;
    graph.session = null;
    if (previous) await previous.release();
    graph.session = await ort.InferenceSession.create(graph.bytes, sessionOptions);
    graph.thetaVersion = at.version;
    return graph.session;
  }

  /** The chunk's primal values at the current product θ (computed on first use there). */
  async function primalValues(chunk: Chunk, split: NonNullable<ProductGraph['split']>, feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
    const cached = primalCache.get(chunk);
    if (cached?.thetaVersion === productTheta.version) return cached.values;
    if (cached) disposeValues(cached.values);
    primalCache.delete(chunk);
    writeFeeds(primalParameterFeeds, productTheta.values);
    const values = await runWith(split.primal, { ...feeds, ...Object.fromEntries(primalParameterFeeds) });
    primalCache.set(chunk, { thetaVersion: productTheta.version, values });
    return values;
  }

  function clearPrimalCache(): void {
    for (const { values } of primalCache.values()) disposeValues(values);
    primalCache.clear();
  }

  function requireData() {
    if (!data) throw new Error('setData must be called first');
    return data;
  }

  function checkTheta(theta: Float32Array): void {
    if (theta.length !== parameterCount) throw new ContractError('parameters', `vector has ${theta.length} values, the model has ${parameterCount}`);
  }

  /** The chunk's targets tensor: one-hot rows of its labels, per pixel for segmentation (cross-entropies), or its target rows. */
  function targetsOf(chunk: Chunk, width: number): ort.Tensor {
    if (chunk.targets) return chunk.targets;
    const targets = new Float32Array(chunk.rows * width);
    if (options.loss === 'categorical_crossentropy' || options.loss === 'sparse_categorical_crossentropy') {
      const labels = chunk.rows * requireData().labelsPerSample;
      const classes = (chunk.rows * width) / labels;
      for (let i = 0; i < labels; i++) {
        const label = chunk.y[i]!;
        if (!(label >= 0 && label < classes)) throw new ContractError('dataset', `class label ${label} is out of range for a model with ${classes} classes`);
        targets[i * classes + label] = 1;
      }
    } else {
      if (chunk.y.length !== chunk.rows * width) throw new ContractError('dataset', `y holds ${chunk.y.length / chunk.rows} values per sample, the model outputs ${width}`);
      targets.set(chunk.y);
    }
    chunk.targets = new ort.Tensor('float32', targets, [chunk.rows, width]);
    return chunk.targets;
  }

  function disposeValues(values: Record<string, ort.Tensor>): void {
    for (const t of Object.values(values)) t.dispose();
  }

  function disposeChunks(chunks: Chunk[]): void {
    for (const chunk of chunks) {
      chunk.x.dispose();
      chunk.targets?.dispose();
    }
  }

  async function releaseGraphs(): Promise<void> {
    const gradient = [...gradientGraphs.values()];
    const product = [...productGraphs.values()];
    gradientGraphs.clear();
    productGraphs.clear();
    clearPrimalCache();
    for (const built of gradient) {
      await built.then(
        async (b) => {
          await b.fed.session?.release();
          await b.patched.session?.release();
        },
        () => undefined,
      );
    }
    for (const built of product) {
      await built.then(
        async (b) => {
          for (const graph of [b.whole, b.split?.tangent]) await graph?.session?.release();
          await b.split?.primal.release();
        },
        () => undefined,
      );
    }
  }

  return {
    parameterCount,
    mask,
    initialParameters: () => graph.theta.slice(),

    async setData(evalData: EvalData) {
      let sampleShape = evalData.inputShape;
      let x = evalData.x;
      const layout = modelFormat(graph.format).sampleLayout(graph.graphInputShape, sampleShape);
      if (layout === null) throw new ContractError('dataset', `samples have shape [${evalData.inputShape}] but the model expects [${graph.graphInputShape}]`);
      if (layout === 'channels-first') {
        x = toChannelsFirst(evalData.x, evalData.n, sampleShape);
        sampleShape = channelsFirstShape(sampleShape);
      }
      const n = evalData.n;
      const sampleSize = sizeOf(sampleShape);
      if (n < 1) throw new ContractError('dataset', 'has no samples');
      if (x.length !== n * sampleSize) throw new ContractError('dataset', `x holds ${x.length} values, not n × sample size = ${n * sampleSize}`);
      if (evalData.y.length % n !== 0) throw new ContractError('dataset', `y holds ${evalData.y.length} values for ${n} samples`);
      if (lossHasAccuracy(options.loss) && options.loss !== 'binary_crossentropy' && !(evalData.y instanceof Int32Array)) {
        throw new ContractError('loss', 'cross-entropy losses need integer class labels; the dataset has float targets');
      }
      const previous = data;
      clearPrimalCache();
      if (previous) disposeChunks(previous.chunks);
      const perSample = evalData.y.length / n;
      // The graphs are shaped by both (the loss is per pixel when a sample has several labels).
      if (previous && (previous.sampleShape.join() !== sampleShape.join() || previous.labelsPerSample !== perSample)) await releaseGraphs();
      const chunks: Chunk[] = [];
      for (let start = 0; start < n; start += runRows) {
        const rows = Math.min(runRows, n - start);
        chunks.push({
          rows,
          x: new ort.Tensor('float32', x.subarray(start * sampleSize, (start + rows) * sampleSize), [rows, ...sampleShape]),
          y: evalData.y.subarray(start * perSample, (start + rows) * perSample),
          targets: null,
        });
      }
      data = { chunks, n, sampleShape, labelsPerSample: perSample };
    },

    async lossAndGradient(theta: Float32Array) {
      const { chunks, n } = requireData();
      checkTheta(theta);
      const perTheta = chunks.length > 1;
      if (perTheta) moveTo(gradientTheta, theta);
      else writeFeeds(parameterFeeds, theta);
      let lossSum = 0;
      const sum = new Float64Array(parameterCount);
      const batchStatistics: Float32Array[] = [];
      for (const chunk of chunks) {
        const built = await cached(gradientGraphs, chunk.rows, buildGradientGraph);
        const feeds: Record<string, ort.Tensor> = { [forward.dataInput]: chunk.x, [TARGETS_INPUT]: targetsOf(chunk, built.targetWidth) };
        let session: ort.InferenceSession;
        if (perTheta) {
          session = await sessionAt(built.patched, gradientTheta);
        } else {
          built.fed.session ??= await ort.InferenceSession.create(built.fed.bytes, sessionOptions);
          session = built.fed.session;
          for (const [name, t] of parameterFeeds) feeds[name] = t;
        }
        const results = await runWith(session, feeds);
        lossSum += (results[built.loss]!.data as Float32Array)[0]!;
        differentiatedBindings.forEach((b, k) => accumulate(sum, results[built.gradients[k]!]!.data as Float32Array, b));
        if (options.batchNorm === 'batch') {
          const stats = theta.slice();
          for (const s of built.statistics) {
            writeBinding(stats, results[s.mean]!.data as Float32Array, bindingOf.get(s.movingMean)!);
            writeBinding(stats, results[s.variance]!.data as Float32Array, bindingOf.get(s.movingVariance)!);
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
      checkTheta(theta);
      if (v.length !== parameterCount) throw new ContractError('vector', `has ${v.length} values, the model has ${parameterCount}`);
      moveTo(productTheta, theta);
      writeFeeds(tangentFeeds, v);
      const sum = new Float64Array(parameterCount);
      const graphs: ProductGraph[] = [];
      for (const chunk of chunks) graphs.push(await cached(productGraphs, chunk.rows, buildProductGraph));
      const keepPrimal = graphs.every((p) => p.split) && graphs.reduce((bytes, p) => bytes + p.split!.boundaryBytes, 0) <= primalCacheBytes;
      for (const [k, chunk] of chunks.entries()) {
        const product = graphs[k]!;
        const feeds: Record<string, ort.Tensor> = { [forward.dataInput]: chunk.x, [TARGETS_INPUT]: targetsOf(chunk, product.targetWidth) };
        for (const [name, t] of tangentFeeds) feeds[name + TANGENT_SUFFIX] = t;
        let session: ort.InferenceSession;
        if (keepPrimal) {
          Object.assign(feeds, await primalValues(chunk, product.split!, feeds));
          session = await sessionAt(product.split!.tangent, productTheta);
        } else {
          session = await sessionAt(product.whole, productTheta);
        }
        const results = await runWith(session, feeds);
        differentiatedBindings.forEach((b, j) => accumulate(sum, results[product.products[j]!]!.data as Float32Array, b));
        for (const t of Object.values(results)) t.dispose();
      }
      const result = new Float32Array(parameterCount);
      for (let i = 0; i < parameterCount; i++) result[i] = sum[i]! / n;
      return result;
    },

    async dispose() {
      clearPrimalCache();
      if (data) disposeChunks(data.chunks);
      data = null;
      await releaseGraphs();
    },
  };
}

/**
 * The values the terms in v read that depend on the data and not on v: where the H·v graph of
 * `outputs` is cut (graph inputs aside). Dependence is followed through values of every type, so
 * that a mask computed from the data (bool, int) falls on the primal side too.
 */
function primalBoundary(g: Graph, outputs: string[], dataInputs: string[], tangentInputs: string[]): string[] {
  const nodes = g.nodesReaching(outputs);
  const onData = dependents(g, nodes, dataInputs, true);
  const onTangent = dependents(g, nodes, tangentInputs, true);
  const graphInputs = new Set(g.inputs);
  const boundary = new Set<string>();
  for (const n of nodes) {
    if (!n.outputs.some((o) => onTangent.has(o))) continue;
    for (const i of n.inputs) if (onData.has(i) && !onTangent.has(i) && !graphInputs.has(i)) boundary.add(i);
  }
  return [...boundary];
}

/** Runs `session` on the feeds it declares as inputs (a cut graph reads only some of them). */
function runWith(session: ort.InferenceSession, feeds: Record<string, ort.Tensor>): Promise<ort.InferenceSession.ReturnType> {
  return session.run(Object.fromEntries(session.inputNames.map((name) => [name, feeds[name]!])));
}
