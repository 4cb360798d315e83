import * as tf from './tf.ts';
import { ContractError, type LossName, type ParameterInfo } from '../../../contract/index.ts';
import type { EvalData } from '../evaluator.ts';
import { batchLosses } from './losses.ts';
import { registerWasmConv2DBackpropFilter } from './wasm-conv-filter-grad.ts';

export const DEFAULT_BATCH_SIZE = 128;

export interface LossAndGradient {
  /** Mean per-sample loss over all n samples. */
  loss: number;
  /** ∂L/∂θ flat in parameter-model order; 0 at non-trainable entries (BN moving statistics). */
  gradient: Float32Array;
}

export interface GradientOptions {
  loss: LossName;
  params: ParameterInfo[];
  /** Samples per backward pass, default 128; batching never changes the numbers beyond rounding (moving statistics). */
  batchSize?: number;
  /**
   * 'moving' (default): batch normalization uses its stored moving statistics, as the surfaces do.
   * 'batch': each batch is normalized with its own mean and variance, as during training; then
   * L and ∂L/∂θ depend on how the samples are batched. Refused for models with Dropout layers.
   */
  batchNorm?: 'moving' | 'batch';
  /**
   * Ignored: loaded models output logits (logits.ts). Kept only so that worker/autodiff's
   * tfjs-layers.test.ts, written before that change, still type-checks; drop it once that test does.
   */
  outputActivation?: string;
}

/** Reusable first-order gradients of one model on one data set (many calls: Hessian-vector products). */
export interface GradientEvaluator {
  /** Sets every parameter (trainable and not) to `flat`, then returns L and ∂L/∂θ there. */
  lossAndGradient(flat: Float32Array): Promise<LossAndGradient>;
  readonly parameterCount: number;
  dispose(): void;
}

interface BoundParameter {
  info: ParameterInfo;
  variable: tf.Variable;
}

function bind(model: tf.LayersModel, params: ParameterInfo[]): BoundParameter[] {
  const byName = new Map<string, tf.LayerVariable>();
  for (const weight of model.weights) byName.set(weight.name, weight);
  for (const weight of model.weights) byName.set(weight.originalName, weight);
  return params.map((info) => {
    const weight = byName.get(info.name);
    if (!weight) throw new ContractError('model.json', `parameter "${info.name}" is not a weight of the loaded model`);
    if (weight.shape.length !== info.shape.length || weight.shape.some((d, i) => d !== info.shape[i])) {
      throw new ContractError('model.json', `parameter "${info.name}" has shape [${info.shape}] but the model weight is [${weight.shape}]`);
    }
    return { info, variable: weight.read() as tf.Variable };
  });
}

/**
 * Gradients by tfjs first-order reverse mode (tf.variableGrads) only: method.md forbids double
 * backprop. By default the forward pass is model.apply(x, { training: false }), so batch
 * normalization uses its stored moving statistics and dropout is off, exactly as the surface
 * evaluator's predict; batchNorm 'batch' applies it in training mode instead. The model's output
 * must be logits (loadLayersModel strips a final softmax/sigmoid), as batchLosses expects.
 * L = Σ per-sample loss / n; per-batch gradients of the batch SUM are accumulated in float64.
 */
export function createGradientEvaluator(model: tf.LayersModel, data: EvalData, options: GradientOptions): GradientEvaluator {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new ContractError('batchSize', `must be a positive integer, got ${batchSize}`);
  if (data.n < 1) throw new ContractError('dataset', 'has no samples');
  if (tf.getBackend() === 'wasm') registerWasmConv2DBackpropFilter();
  const bound = bind(model, options.params);
  const batchStatistics = options.batchNorm === 'batch';
  if (batchStatistics && model.layers.some((layer) => layer.getClassName() === 'Dropout')) {
    throw new ContractError('model', 'batch-statistics gradients of a model with dropout would be random; this model has a Dropout layer');
  }
  const parameterCount = options.params.reduce((n, p) => Math.max(n, p.offset + p.size), 0);
  const trainable = bound.filter((b) => b.info.trainable);
  const variables = trainable.map((b) => b.variable);
  const x = tf.tensor(data.x, [data.n, ...data.inputShape], 'float32');
  if (options.loss !== 'mse' && !(data.y instanceof Int32Array)) {
    throw new ContractError('loss', 'cross-entropy losses need integer class labels; the dataset has float targets');
  }
  const targets = options.loss === 'mse'
    ? tf.tensor2d(Float32Array.from(data.y), [data.n, data.y.length / data.n], 'float32')
    : tf.tensor1d(data.y as Int32Array, 'int32');

  async function lossAndGradient(flat: Float32Array): Promise<LossAndGradient> {
    if (flat.length !== parameterCount) throw new ContractError('parameters', `vector has ${flat.length} values, the model has ${parameterCount}`);
    for (const { info, variable } of bound) {
      const value = tf.tensor(flat.slice(info.offset, info.offset + info.size), info.shape, 'float32');
      variable.assign(value);
      value.dispose();
    }
    const sum = new Float64Array(parameterCount);
    let lossSum = 0;
    for (let start = 0; start < data.n; start += batchSize) {
      const size = Math.min(batchSize, data.n - start);
      const xBatch = tf.slice(x, start, size);
      const targetBatch = tf.slice(targets, start, size);
      const { value, grads } = tf.variableGrads(() => {
        const output = model.apply(xBatch, { training: batchStatistics }) as tf.Tensor;
        return tf.sum(batchLosses(output, targetBatch, options.loss).perSample) as tf.Scalar;
      }, variables);
      try {
        lossSum += (await value.data())[0]!;
        for (const { info, variable } of trainable) {
          const gradient = grads[variable.name];
          if (!gradient) continue; // a weight the loss does not depend on has a zero gradient
          const values = await gradient.data();
          for (let i = 0; i < values.length; i++) sum[info.offset + i] += values[i]!;
        }
      } finally {
        tf.dispose([xBatch, targetBatch, value, ...Object.values(grads)]);
      }
    }
    const gradient = new Float32Array(parameterCount);
    for (let i = 0; i < parameterCount; i++) gradient[i] = sum[i]! / data.n;
    return { loss: lossSum / data.n, gradient };
  }

  return {
    lossAndGradient,
    parameterCount,
    dispose: () => tf.dispose([x, targets]),
  };
}

/** One-off L and ∂L/∂θ at `flat` (see createGradientEvaluator; prefer it for repeated calls). */
export async function lossAndGradient(
  model: tf.LayersModel,
  data: EvalData,
  loss: LossName,
  flat: Float32Array,
  params: ParameterInfo[],
  batchSize?: number,
): Promise<LossAndGradient> {
  const evaluator = createGradientEvaluator(model, data, { loss, params, ...(batchSize === undefined ? {} : { batchSize }) });
  try {
    return await evaluator.lossAndGradient(flat);
  } finally {
    evaluator.dispose();
  }
}
