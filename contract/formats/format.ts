import { ContractError } from '../errors.ts';
import type { LossName } from '../losses.ts';
import type { ModelFormat } from '../models.ts';
import type { ParameterInfo } from '../parameters.ts';
import type { Engine } from '../surface.ts';

/** What a format's files say about the model: its parameter model and what it takes and gives. */
export interface ModelDescription {
  layers: { name: string; className: string }[];
  parameters: ParameterInfo[];
  /** Loss named by the model's own training config, if the format records one. */
  trainingLoss: LossName | null;
  /** softmax/sigmoid: outputs are probabilities; otherwise logits. */
  outputActivation: string;
  /** One sample without the batch axis (-1 = symbolic dimension). */
  inputShape: number[];
}

/**
 * How a sample of a dataset reaches a model: as stored (NHWC images, flat vectors), or
 * transposed from [h, w, c] to [c, h, w] for a channels-first graph.
 */
export type SampleLayout = 'as-is' | 'channels-first';

/**
 * One model format (netron style: one interface, one registry table in ./index.ts). Everything
 * that depends on the format goes through it: upload, stored files, θ*, sample layouts and
 * which engines and analyses apply.
 */
export interface ModelFormatSpec {
  readonly id: ModelFormat;
  /** The file a problem with the whole model is reported against. */
  readonly mainFile: string;
  /** Whether the model is one file (an upload of it comes alone) rather than a manifest with shards. */
  readonly singleFile: boolean;
  /** Whether an upload with these file names is in this format. */
  detect(fileNames: string[]): boolean;
  /** An upload (files by name) validated and made canonical: the files to store and their description. ContractError naming the file at fault. */
  canonicalize(files: Record<string, Uint8Array>): { description: ModelDescription; files: Record<string, Uint8Array> };
  /** The description of stored (canonical) files. */
  describe(files: Record<string, Uint8Array>): ModelDescription;
  /** θ*: the stored (trained) parameters, flat in parameter-model order. */
  storedParameters(files: Record<string, Uint8Array>, parameters: ParameterInfo[]): Float32Array;
  /** The same model's files with θ (flat, parameter-model order) stored in place of θ*: what a training run that starts from a stored model registers. */
  withParameters(files: Record<string, Uint8Array>, parameters: ParameterInfo[], theta: Float32Array): Record<string, Uint8Array>;
  /** How samples of shape `sampleShape` feed a model taking `inputShape`; null when they cannot. */
  sampleLayout(inputShape: readonly number[], sampleShape: readonly number[]): SampleLayout | null;
  readonly capabilities: {
    /** Engines that evaluate this format, in order of preference. */
    engines: readonly Engine[];
    /** Exact gradients and Hessian-vector products (worker/autodiff): Hessian maps, spectra and gradient flow. */
    gradients: boolean;
  };
}

/** θ for `withParameters`: one value per entry of the parameter model, else a ContractError naming `parameters`. */
export function checkParameterVector(theta: Float32Array, parameters: ParameterInfo[]): void {
  const expected = parameters.reduce((n, p) => n + p.size, 0);
  if (theta.length !== expected) throw new ContractError('parameters', `vector has ${theta.length} values, the model has ${expected}`);
}

/** Shapes equal where the model's is fixed (-1 or null: a symbolic dimension that takes any size). */
export function sameShape(model: readonly (number | null)[], sample: readonly number[]): boolean {
  return model.length === sample.length && model.every((d, i) => d === -1 || d === null || d === sample[i]);
}

/** [h, w, c] → [c, h, w]: where an NHWC image sample lands in a channels-first graph. */
export function channelsFirstShape(shape: readonly number[]): number[] {
  return shape.length === 3 ? [shape[2]!, shape[0]!, shape[1]!] : [...shape];
}
