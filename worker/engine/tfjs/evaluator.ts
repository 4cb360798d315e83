import * as tf from './tf.ts';
import { ContractError, CROSS_ENTROPY_FORM, lossHasAccuracy, type EngineInfo, type ParameterInfo } from '../../../contract/index.ts';
import { meanStandardError, type EvalData, type EvalResult, type EvaluateOptions, type Evaluator, type ModelArtifact } from '../evaluator.ts';
import { sameShape } from '../../../contract/formats/index.ts';
import { initTfjs, type TfjsBackendOptions } from './backend.ts';
import { loadLayersModel } from './load-model.ts';
import { batchLosses } from './losses.ts';

const DEFAULT_BATCH_SIZE = 128;

interface BoundParameter {
  info: ParameterInfo;
  variable: tf.Variable;
}

interface BoundData {
  x: tf.Tensor;
  /** int32 [n] class labels, int32 [n, h·w] pixel labels, or float32 [n, targetSize] regression targets. */
  targets: tf.Tensor;
  n: number;
  /** Largest class label, checked against the model's output width; null for float targets. */
  maxLabel: number | null;
}

/**
 * Evaluates a tfjs Layers model at arbitrary parameter vectors. Batch normalization runs in
 * inference mode (predict: stored moving statistics). Per-sample losses are summed in float64
 * in JS, so L = Σ loss_i / n exactly whatever the batch size (and Σ loss_i² for its standard error).
 */
export class TfjsEvaluator implements Evaluator {
  readonly info: EngineInfo;
  private model: tf.LayersModel | null = null;
  private parameters: BoundParameter[] = [];
  private parameterCount = 0;
  private theta: Float32Array = new Float32Array(0);
  private data: BoundData | null = null;

  private constructor(info: EngineInfo) {
    this.info = info;
  }

  /** Initializes the tfjs backend (see initTfjs) and returns an empty evaluator. */
  static async create(options: TfjsBackendOptions = {}): Promise<TfjsEvaluator> {
    return new TfjsEvaluator({ ...(await initTfjs(options)), crossEntropy: CROSS_ENTROPY_FORM });
  }

  /** Loads the model; samples bound before are dropped (call setData again). */
  async load(artifact: ModelArtifact): Promise<void> {
    this.dispose();
    const model = await loadLayersModel(artifact);
    try {
      if (model.outputs.length !== 1) throw new ContractError('model.json', `the model has ${model.outputs.length} outputs; exactly one is supported`);
      this.parameters = bindParameters(model, artifact.parameters);
    } catch (err) {
      model.dispose();
      throw err;
    }
    this.model = model;
    this.parameterCount = artifact.parameters.reduce((n, p) => n + p.size, 0);
    this.theta = new Float32Array(this.parameterCount);
    for (const { info, variable } of this.parameters) this.theta.set(variable.dataSync() as Float32Array, info.offset);
  }

  storedParameters(): Float32Array {
    return this.theta.slice();
  }

  async setData(data: EvalData): Promise<void> {
    const model = this.requireModel();
    const expected = model.inputs[0]!.shape.slice(1);
    if (!sameShape(expected, data.inputShape)) {
      throw new ContractError('dataset', `samples have shape [${data.inputShape}] but the model expects [${expected.map((d) => d ?? -1)}]`);
    }
    const sampleSize = data.inputShape.reduce((s, d) => s * d, 1);
    if (data.x.length !== data.n * sampleSize) throw new ContractError('dataset', `x holds ${data.x.length} values, not n × sample size = ${data.n * sampleSize}`);
    if (data.n === 0 || data.y.length % data.n !== 0) throw new ContractError('dataset', `y holds ${data.y.length} values for ${data.n} samples`);
    this.disposeData();
    const isLabels = data.y instanceof Int32Array;
    let maxLabel: number | null = null;
    if (isLabels) {
      maxLabel = -1;
      for (const label of data.y) {
        if (label < 0) throw new ContractError('dataset', `class label ${label} is negative`);
        if (label > maxLabel) maxLabel = label;
      }
    }
    this.data = {
      x: tf.tensor(data.x, [data.n, ...data.inputShape], 'float32'),
      // Labels: [n] per sample, or [n, h·w] per pixel (segmentation); float targets [n, targetSize].
      targets: isLabels && data.y.length === data.n ? tf.tensor1d(data.y, 'int32') : tf.tensor2d(data.y, [data.n, data.y.length / data.n], isLabels ? 'int32' : 'float32'),
      n: data.n,
      maxLabel,
    };
  }

  async setParameters(flat: Float32Array): Promise<void> {
    this.requireModel();
    if (flat.length !== this.parameterCount) {
      throw new ContractError('parameters', `vector has ${flat.length} values, the model has ${this.parameterCount}`);
    }
    for (const { info, variable } of this.parameters) {
      // slice() copies: the cpu backend keeps the array it is given, and callers reuse their buffers.
      const value = tf.tensor(flat.slice(info.offset, info.offset + info.size), info.shape, 'float32');
      // Variable.assign, not LayerVariable.write: a layer constraint must not move the point evaluated.
      variable.assign(value);
      value.dispose();
    }
  }

  async evaluate(options: EvaluateOptions): Promise<EvalResult> {
    const model = this.requireModel();
    const data = this.data;
    if (!data) throw new Error('setData must be called before evaluate');
    const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new ContractError('batchSize', `must be a positive integer, got ${batchSize}`);
    if (options.perSampleLosses && options.perSampleLosses.length !== data.n) throw new Error(`perSampleLosses holds ${options.perSampleLosses.length} values for ${data.n} samples`);
    const classification = options.loss !== 'mse';
    if (classification) this.checkLabels(model, data);
    let lossSum = 0;
    let lossSquares = 0;
    let correctSum = 0;
    for (let start = 0; start < data.n; start += batchSize) {
      const size = Math.min(batchSize, data.n - start);
      const batch = tf.tidy(() => {
        const output = model.predict(tf.slice(data.x, start, size)) as tf.Tensor;
        const targets = tf.slice(data.targets, start, size);
        const { perSample, correct } = batchLosses(output, classification ? targets : tf.cast(targets, 'float32'), options.loss);
        return correct ? [perSample, correct] : [perSample];
      });
      try {
        let sample = start;
        for (const value of await batch[0]!.data()) {
          lossSum += value;
          lossSquares += value * value;
          if (options.perSampleLosses) options.perSampleLosses[sample++] = value;
        }
        if (batch[1]) for (const value of await batch[1].data()) correctSum += value;
      } finally {
        tf.dispose(batch);
      }
    }
    return { loss: lossSum / data.n, lossStdError: meanStandardError(lossSum, lossSquares, data.n), accuracy: lossHasAccuracy(options.loss) ? correctSum / data.n : null };
  }

  resources(): Record<string, number> {
    const memory = tf.memory();
    return { numTensors: memory.numTensors, numBytes: memory.numBytes };
  }

  dispose(): void {
    this.disposeData();
    this.disposeModel();
  }

  private checkLabels(model: tf.LayersModel, data: BoundData): void {
    if (data.maxLabel === null) throw new ContractError('loss', 'cross-entropy losses need integer class labels; the dataset has float targets');
    const outputShape = model.outputs[0]!.shape;
    const width = outputShape[outputShape.length - 1] ?? 1;
    const classes = width === 1 ? 2 : width;
    if (data.maxLabel >= classes) throw new ContractError('dataset', `class label ${data.maxLabel} is out of range for a model with ${classes} classes`);
  }

  private requireModel(): tf.LayersModel {
    if (!this.model) throw new Error('load must be called first');
    return this.model;
  }

  private disposeData(): void {
    if (this.data) tf.dispose([this.data.x, this.data.targets]);
    this.data = null;
  }

  private disposeModel(): void {
    this.model?.dispose();
    this.model = null;
    this.parameters = [];
  }
}

/** Map every entry of the parameter model to a model weight (by originalName, then name), and back. */
function bindParameters(model: tf.LayersModel, parameters: ParameterInfo[]): BoundParameter[] {
  const byName = new Map<string, tf.LayerVariable>();
  for (const weight of model.weights) byName.set(weight.name, weight);
  for (const weight of model.weights) byName.set(weight.originalName, weight);
  const used = new Set<tf.LayerVariable>();
  const bound = parameters.map((info) => {
    const weight = byName.get(info.name);
    if (!weight) throw new ContractError('model.json', `parameter "${info.name}" is not a weight of the loaded model`);
    if (!sameShape(weight.shape, info.shape)) {
      throw new ContractError('model.json', `parameter "${info.name}" has shape [${info.shape}] but the model weight is [${weight.shape}]`);
    }
    if (used.has(weight)) throw new ContractError('model.json', `parameter "${info.name}" appears twice`);
    used.add(weight);
    return { info, variable: weight.read() as tf.Variable };
  });
  const missing = model.weights.find((w) => !used.has(w));
  if (missing) throw new ContractError('model.json', `model weight "${missing.originalName}" is missing from the parameter model`);
  return bound;
}
