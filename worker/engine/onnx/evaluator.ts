import * as ort from 'onnxruntime-node';
import { ContractError, CROSS_ENTROPY_FORM, lossHasAccuracy, type EngineInfo, type ModelFormat } from '../../../contract/index.ts';
import { onnx } from '../../../contract/onnx-model.ts';
import { meanStandardError, type EvalData, type EvalResult, type EvaluateOptions, type Evaluator, type ModelArtifact } from '../evaluator.ts';
import { channelsFirstShape, modelFormat } from '../../../contract/formats/index.ts';
import type { InitializerBinding } from './export-layers.ts';
import { modelGraph, readBinding } from './model-graph.ts';
import { initializerSlots, type ByteSlot } from './initializer-slots.ts';
import { lossSums } from './losses.ts';
import { stripOutputActivation } from './output-logits.ts';
import { toChannelsFirst } from '../../numeric/channels-first.ts';

const DEFAULT_BATCH_SIZE = 128;
/**
 * Rows per onnxruntime run, whatever the requested batch size (smaller only): measured on one
 * thread, 64-row runs beat 128-row runs by ~8–10 % on ResNet-20 and the demo CNN (cache-sized
 * activations). Batching never changes the numbers: losses are summed per sample.
 */
const MAX_RUN_ROWS = 64;
const BYTES_PER_FLOAT32 = 4;

export type ParameterFeed = 'initializers' | 'inputs';

/**
 * Measured on this project's benchmark (bench/): ResNet-20 (272k parameters) runs 3–4× faster with
 * initializers; the 10k-parameter demo CNN about 2× faster with inputs, where the per-point
 * session costs more than the run.
 */
export const AUTO_FEED_PARAMETER_THRESHOLD = 100_000;

function autoFeed(artifact: ModelArtifact): ParameterFeed {
  const count = artifact.parameters.reduce((n, p) => n + p.size, 0);
  return count >= AUTO_FEED_PARAMETER_THRESHOLD ? 'initializers' : 'inputs';
}

export interface OnnxEvaluatorOptions {
  /**
   * How each point's parameters reach onnxruntime. 'initializers': as constant initializers,
   * written into the serialized model's bytes, with a fresh session per point, so onnxruntime
   * folds BN into the convolutions and prepacks the weights (pays off on conv nets: ResNet-20).
   * 'inputs': as graph inputs fed with every run to one session (no per-point session cost; pays
   * off on small models, where creating a session costs more than the run). 'auto': decided by the
   * model's size alone (see autoFeed), so every worker of a surface makes the same choice and the
   * numbers do not depend on timing. Both are exact; they differ only by float rounding (folded
   * BN). Default 'auto' (the worker passes LA_ONNX_PARAMETER_FEED through the engine registry).
   */
  parameterFeed?: ParameterFeed | 'auto';
  /** Intra-op threads per session. Default 1 (the worker passes LA_ONNX_THREADS through the engine registry). */
  threads?: number;
}

interface LoadedModel {
  /** The serialized model; each point's parameters are written into its initializer bytes. */
  bytes: Uint8Array;
  bindings: { binding: InitializerBinding; slot: ByteSlot }[];
  parameterCount: number;
  theta: Float32Array;
  inputName: string;
  outputName: string;
  /** One sample as the graph takes it (-1 = free). */
  graphInputShape: number[];
  format: ModelFormat;
}

interface BoundData {
  x: Float32Array;
  sampleShape: number[];
  targets: Int32Array | Float32Array;
  targetWidth: number;
  n: number;
  maxLabel: number | null;
  /** Input tensors per batch size, built once and reused for every point. */
  batches: Map<number, ort.Tensor[]>;
}

/**
 * The model with its output turned into logits (output-logits.ts). Throws when the activation the
 * artifact names was not found: the loss would then be computed from probabilities.
 */
function withLogitsOutput(message: InstanceType<typeof onnx.ModelProto>, outputName: string, outputActivation: string): string {
  const { outputName: logits, stripped } = stripOutputActivation(message, outputName);
  if ((outputActivation === 'softmax' || outputActivation === 'sigmoid') && stripped !== outputActivation) {
    throw new Error(`the model's output activation is ${outputActivation}, but no ${outputActivation} node was found to strip before output "${outputName}"`);
  }
  return logits;
}

/**
 * The serialized model with every parameter stored as raw_data, no initializer posing as a graph
 * input, and logits as its output; returns the output's name.
 */
function normalizedOnnx(bytes: Uint8Array, parameterInitializers: string[], inputName: string, outputName: string, outputActivation: string): { bytes: Uint8Array; outputName: string } {
  const message = onnx.ModelProto.decode(bytes);
  const graph = message.graph!;
  const names = new Set(parameterInitializers);
  for (const t of graph.initializer as InstanceType<typeof onnx.TensorProto>[]) {
    if (names.has(t.name!) && t.rawData.length === 0) {
      t.rawData = new Uint8Array(Float32Array.from(t.floatData as number[]).buffer);
      t.floatData = [];
    }
  }
  // Initializers listed as inputs (IR < 4 exporters) could be overridden, so onnxruntime would not fold them.
  graph.input = graph.input!.filter((i) => i.name === inputName);
  const logits = withLogitsOutput(message, outputName, outputActivation);
  return { bytes: onnx.ModelProto.encode(message).finish(), outputName: logits };
}

/** The model's graph with logits as its output and the byte slot of every parameter's initializer. */
function loadModel(artifact: ModelArtifact): LoadedModel {
  const graph = modelGraph(artifact);
  const initializers = graph.bindings.map((b) => b.initializer);
  const { bytes, outputName } = normalizedOnnx(graph.bytes, initializers, graph.inputName, graph.outputName, artifact.outputActivation);
  return {
    bytes,
    bindings: locate(bytes, graph.bindings),
    parameterCount: graph.theta.length,
    theta: graph.theta,
    inputName: graph.inputName,
    outputName,
    graphInputShape: graph.graphInputShape,
    format: graph.format,
  };
}

function locate(bytes: Uint8Array, bindings: InitializerBinding[]): LoadedModel['bindings'] {
  const slots = initializerSlots(bytes);
  return bindings.map((binding) => {
    const slot = slots.get(binding.initializer);
    if (!slot || slot.byteLength !== binding.size * BYTES_PER_FLOAT32) {
      throw new Error(`initializer "${binding.initializer}" has no raw float32 data of ${binding.size} values`);
    }
    return { binding, slot };
  });
}

/** The model with every bound initializer turned into a graph input of the same name and shape. */
function parametersAsInputs(bytes: Uint8Array, bindings: InitializerBinding[]): { bytes: Uint8Array; dims: Map<string, number[]> } {
  const message = onnx.ModelProto.decode(bytes);
  const graph = message.graph!;
  const names = new Set(bindings.map((b) => b.initializer));
  const dims = new Map<string, number[]>();
  const kept = [];
  for (const t of graph.initializer!) {
    if (!names.has(t.name!)) {
      kept.push(t);
      continue;
    }
    const shape = (t.dims ?? []).map((d) => Number(d));
    dims.set(t.name!, shape);
    graph.input!.push(
      onnx.ValueInfoProto.create({ name: t.name!, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: shape.map((d) => ({ dimValue: d })) } } } }),
    );
  }
  graph.initializer = kept;
  return { bytes: onnx.ModelProto.encode(message).finish(), dims };
}



/**
 * Evaluates models with onnxruntime (CPU). ONNX models load directly; tfjs Layers models through
 * exportLayersToOnnx. setParameters writes the flat vector (the model's own order and layouts)
 * straight into the initializer bytes (or the parameter input tensors, see OnnxEvaluatorOptions).
 * The graph's output is logits (a final Softmax/Sigmoid is bypassed at load, output-logits.ts);
 * losses are summed in float64 with the tfjs engine's definitions (losses.ts).
 */
export class OnnxEvaluator implements Evaluator {
  readonly info: EngineInfo = { name: 'onnx', backend: 'onnxruntime-cpu', version: ort.env.versions.common, crossEntropy: CROSS_ENTROPY_FORM };
  private model: LoadedModel | null = null;
  private data: BoundData | null = null;
  private readonly requestedFeed: ParameterFeed | 'auto';
  /** The representation in use once a model is loaded. */
  private chosenFeed: ParameterFeed | null = null;
  /** The parameters-as-inputs model and its parameter tensors, refilled by setParameters. */
  private inputsModel: { bytes: Uint8Array; feeds: Record<string, ort.Tensor> } | null = null;
  private sessions: Record<ParameterFeed, ort.InferenceSession | null> = { initializers: null, inputs: null };
  /** The initializers session was built before the last setParameters. */
  private initializerSessionStale = true;
  private sessionsCreated = 0;
  private sessionsReleased = 0;
  private scratch = new Float32Array(0);
  private readonly sessionOptions: ort.InferenceSession.SessionOptions;

  private constructor(feed: ParameterFeed | 'auto', threads: number) {
    this.requestedFeed = feed;
    this.sessionOptions = {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    };
  }

  static async create(options: OnnxEvaluatorOptions = {}): Promise<OnnxEvaluator> {
    return new OnnxEvaluator(options.parameterFeed ?? 'auto', options.threads ?? 1);
  }

  /** The representation in use; null before a model is loaded. */
  get parameterFeed(): ParameterFeed | null {
    return this.chosenFeed;
  }

  async load(artifact: ModelArtifact): Promise<void> {
    await this.releaseSessions();
    this.disposeData();
    this.inputsModel = null;
    const model = loadModel(artifact);
    this.model = model;
    this.scratch = new Float32Array(model.bindings.reduce((n, b) => Math.max(n, b.binding.size), 0));
    this.chosenFeed = this.requestedFeed === 'auto' ? autoFeed(artifact) : this.requestedFeed;
    this.initializerSessionStale = true;
    try {
      if (this.chosenFeed !== 'initializers') {
        const converted = parametersAsInputs(model.bytes, model.bindings.map((b) => b.binding));
        const feeds: Record<string, ort.Tensor> = {};
        for (const { binding } of model.bindings) {
          const values = new Float32Array(binding.size);
          readBinding(values, model.theta, binding);
          feeds[binding.initializer] = new ort.Tensor('float32', values, converted.dims.get(binding.initializer)!);
        }
        this.inputsModel = { bytes: converted.bytes, feeds };
      }
      await this.session(this.chosenFeed);
    } catch (err) {
      this.model = null;
      this.inputsModel = null;
      throw new ContractError(modelFormat(artifact.format).mainFile, `onnxruntime cannot load the model: ${(err as Error).message}`);
    }
  }

  storedParameters(): Float32Array {
    return this.requireModel().theta.slice();
  }

  async setData(data: EvalData): Promise<void> {
    const model = this.requireModel();
    let sampleShape = data.inputShape;
    let x = data.x;
    const layout = modelFormat(model.format).sampleLayout(model.graphInputShape, sampleShape);
    if (layout === null) throw new ContractError('dataset', `samples have shape [${data.inputShape}] but the model expects [${model.graphInputShape}]`);
    if (layout === 'channels-first') {
      x = toChannelsFirst(data.x, data.n, sampleShape);
      sampleShape = channelsFirstShape(sampleShape);
    }
    const sampleSize = sampleShape.reduce((s, d) => s * d, 1);
    if (data.x.length !== data.n * sampleSize) throw new ContractError('dataset', `x holds ${data.x.length} values, not n × sample size = ${data.n * sampleSize}`);
    if (data.n === 0 || data.y.length % data.n !== 0) throw new ContractError('dataset', `y holds ${data.y.length} values for ${data.n} samples`);
    this.disposeData();
    let maxLabel: number | null = null;
    if (data.y instanceof Int32Array) {
      maxLabel = -1;
      for (const label of data.y) {
        if (label < 0) throw new ContractError('dataset', `class label ${label} is negative`);
        if (label > maxLabel) maxLabel = label;
      }
    }
    this.data = { x, sampleShape, targets: data.y, targetWidth: data.y.length / data.n, n: data.n, maxLabel, batches: new Map() };
  }

  async setParameters(flat: Float32Array): Promise<void> {
    const model = this.requireModel();
    if (flat.length !== model.parameterCount) {
      throw new ContractError('parameters', `vector has ${flat.length} values, the model has ${model.parameterCount}`);
    }
    if (this.chosenFeed !== 'initializers') {
      const feeds = this.inputsModel!.feeds;
      for (const { binding } of model.bindings) readBinding(feeds[binding.initializer]!.data as Float32Array, flat, binding);
    }
    if (this.chosenFeed !== 'inputs') {
      const bytes = new Uint8Array(this.scratch.buffer);
      for (const { binding, slot } of model.bindings) {
        readBinding(this.scratch, flat, binding);
        model.bytes.set(bytes.subarray(0, slot.byteLength), slot.start);
      }
      this.initializerSessionStale = true;
    }
  }

  async evaluate(options: EvaluateOptions): Promise<EvalResult> {
    this.requireModel();
    const data = this.data;
    if (!data) throw new Error('setData must be called before evaluate');
    const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new ContractError('batchSize', `must be a positive integer, got ${batchSize}`);
    if (options.perSampleLosses && options.perSampleLosses.length !== data.n) throw new Error(`perSampleLosses holds ${options.perSampleLosses.length} values for ${data.n} samples`);
    if (lossHasAccuracy(options.loss) && data.maxLabel === null) {
      throw new ContractError('loss', 'cross-entropy losses need integer class labels; the dataset has float targets');
    }
    return this.evaluateWith(this.chosenFeed!, data, options, batchSize);
  }

  resources(): Record<string, number> {
    let inputTensors = 0;
    for (const batches of this.data?.batches.values() ?? []) inputTensors += batches.length;
    return {
      liveSessions: this.sessionsCreated - this.sessionsReleased,
      sessionsCreated: this.sessionsCreated,
      inputTensors,
      parameterTensors: Object.keys(this.inputsModel?.feeds ?? {}).length,
    };
  }

  dispose(): void {
    void this.releaseSessions();
    this.disposeData();
    this.model = null;
    this.inputsModel = null;
  }

  private async evaluateWith(feed: ParameterFeed, data: BoundData, options: EvaluateOptions, batchSize: number): Promise<EvalResult> {
    const model = this.requireModel();
    const session = await this.session(feed);
    const parameterFeeds = feed === 'inputs' ? this.inputsModel!.feeds : {};
    const classification = lossHasAccuracy(options.loss);
    let lossSum = 0;
    let lossSquares = 0;
    let correctSum = 0;
    let start = 0;
    for (const input of this.batchTensors(data, Math.min(batchSize, MAX_RUN_ROWS))) {
      const count = input.dims[0]!;
      const results = await session.run({ ...parameterFeeds, [model.inputName]: input });
      const output = results[model.outputName]!;
      const width = output.dims.slice(1).reduce((n, d) => n * d, 1);
      if (classification && data.maxLabel! >= (width === 1 ? 2 : width)) {
        throw new ContractError('dataset', `class label ${data.maxLabel} is out of range for a model with ${width === 1 ? 2 : width} classes`);
      }
      const sums = lossSums(output.data as Float32Array, width, count, data.targets, data.targetWidth, start, options.loss, options.perSampleLosses);
      lossSum += sums.loss;
      lossSquares += sums.lossSquares;
      correctSum += sums.correct;
      start += count;
    }
    return { loss: lossSum / data.n, lossStdError: meanStandardError(lossSum, lossSquares, data.n), accuracy: classification ? correctSum / data.n : null };
  }

  private batchTensors(data: BoundData, batchSize: number): ort.Tensor[] {
    let batches = data.batches.get(batchSize);
    if (!batches) {
      batches = [];
      const sampleSize = data.sampleShape.reduce((s, d) => s * d, 1);
      for (let start = 0; start < data.n; start += batchSize) {
        const count = Math.min(batchSize, data.n - start);
        batches.push(new ort.Tensor('float32', data.x.subarray(start * sampleSize, (start + count) * sampleSize), [count, ...data.sampleShape]));
      }
      data.batches.set(batchSize, batches);
    }
    return batches;
  }

  /** The session of a representation for the current parameters (initializers: fresh after setParameters). */
  private async session(feed: ParameterFeed): Promise<ort.InferenceSession> {
    const existing = this.sessions[feed];
    if (existing && (feed === 'inputs' || !this.initializerSessionStale)) return existing;
    await this.releaseSession(feed);
    const bytes = feed === 'inputs' ? this.inputsModel!.bytes : this.requireModel().bytes;
    const session = await ort.InferenceSession.create(bytes, this.sessionOptions);
    this.sessionsCreated++;
    this.sessions[feed] = session;
    if (feed === 'initializers') this.initializerSessionStale = false;
    return session;
  }

  private async releaseSession(feed: ParameterFeed): Promise<void> {
    const session = this.sessions[feed];
    this.sessions[feed] = null;
    if (session) {
      this.sessionsReleased++;
      await session.release();
    }
  }

  private async releaseSessions(): Promise<void> {
    await this.releaseSession('initializers');
    await this.releaseSession('inputs');
  }

  private requireModel(): LoadedModel {
    if (!this.model) throw new Error('load must be called first');
    return this.model;
  }

  private disposeData(): void {
    for (const batches of this.data?.batches.values() ?? []) for (const t of batches) t.dispose();
    this.data = null;
  }
}
