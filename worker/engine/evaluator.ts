import type { EngineInfo, LossName, ModelFormat, ParameterInfo } from '../../contract/index.ts';

/** A model as the engines receive it: its format, its files' bytes by name, and its parameter model. */
export interface ModelArtifact {
  hash: string;
  format: ModelFormat;
  files: Record<string, Uint8Array>;
  parameters: ParameterInfo[];
  /** softmax/sigmoid: outputs are probabilities; otherwise logits. */
  outputActivation: string;
}

/** Evaluation samples, already selected and ordered. */
export interface EvalData {
  /** Inputs, row-major [n, ...inputShape]. */
  x: Float32Array;
  inputShape: number[];
  /** Integer class labels [n] (classification), [n, h·w] (segmentation), or float targets [n, targetSize] (regression). */
  y: Int32Array | Float32Array;
  n: number;
}

export interface EvalResult {
  /** Mean per-sample loss over all n samples (may be NaN or ±Infinity: a result, not an error). */
  loss: number;
  /**
   * Standard error of `loss` over the samples: sqrt(s² / n), s² the unbiased variance (n − 1) of
   * the per-sample losses; null when n < 2 or the loss is not finite (meanStandardError).
   */
  lossStdError: number | null;
  /** correct / n in [0, 1]; null for regression losses. */
  accuracy: number | null;
}

/**
 * sqrt(s² / n) from Σ loss_i and Σ loss_i² over n samples, s² = (Σ loss_i² − (Σ loss_i)²/n)/(n − 1)
 * in float64 (clamped at 0: rounding can make a near-zero variance negative). null when n < 2 or
 * either sum is not finite.
 */
export function meanStandardError(sum: number, sumOfSquares: number, n: number): number | null {
  if (n < 2 || !Number.isFinite(sum) || !Number.isFinite(sumOfSquares)) return null;
  const variance = Math.max(0, (sumOfSquares - (sum * sum) / n) / (n - 1));
  return Math.sqrt(variance / n);
}

export interface EvaluateOptions {
  loss: LossName;
  /** Default 128. Batching never changes the numbers: L = Σ per-sample loss / n. */
  batchSize?: number;
  /** When given (length n), filled with each sample's loss in sample order (the bootstrap resamples them). */
  perSampleLosses?: Float64Array;
}

/**
 * One engine's way to evaluate a network at given parameters. Job code talks only to this
 * interface; engines are chosen from the registry (engine/registry.ts).
 */
export interface Evaluator {
  readonly info: EngineInfo;
  /** Load the model; throws ContractError for a model the engine cannot evaluate. */
  load(model: ModelArtifact): Promise<void>;
  /** θ*: the loaded model's stored (trained) parameters, flat in parameter-model order. */
  storedParameters(): Float32Array;
  /** Bind the evaluation samples (input tensors are built once here and reused). */
  setData(data: EvalData): Promise<void>;
  /**
   * Set every parameter, flat in parameter-model order (ParameterInfo.offset/size), including
   * non-trainable state such as BN moving statistics.
   */
  setParameters(flat: Float32Array): Promise<void>;
  evaluate(options: EvaluateOptions): Promise<EvalResult>;
  /** Live engine resources (tensors, sessions); must not grow across evaluations. */
  resources(): Record<string, number>;
  dispose(): void;
}
