import type * as tf from '@tensorflow/tfjs';
import type { GradientFlow, GradientFlowLayer } from '../../contract/metrics/gradient-flow.ts';
import type { LossName, ParameterInfo } from '../../contract/index.ts';
import type { EvalData, ModelArtifact } from '../engine/evaluator.ts';
import { initTfjs } from '../engine/tfjs/backend.ts';
import { createGradientEvaluator, DEFAULT_BATCH_SIZE } from '../engine/tfjs/gradient.ts';
import { loadLayersModel } from '../engine/tfjs/load-model.ts';

/**
 * ‖∂L/∂W_l‖₂ of every trainable kernel, in parameter-model order. For tfjs Layers models that is
 * the weight manifest's order, which Keras writes layer by layer from input to output.
 */
export function layerGradientNorms(gradient: Float32Array, params: ParameterInfo[]): GradientFlowLayer[] {
  return params
    .filter((p) => p.role === 'kernel' && p.trainable && p.size > 0)
    .map((p, index) => {
      let sum = 0;
      for (let i = p.offset; i < p.offset + p.size; i++) sum += gradient[i]! * gradient[i]!;
      const norm = Math.sqrt(sum);
      return { index, layer: p.layer, parameter: p.name, layerClass: p.layerClass, size: p.size, norm, rms: norm / Math.sqrt(p.size) };
    });
}

export interface GradientFlowOptions {
  loss: LossName;
  params: ParameterInfo[];
  /** Parameters to take the gradient at, flat in parameter-model order. */
  flat: Float32Array;
  /** What `flat` is, e.g. 'initialisation' or 'trained'. */
  label: string;
  /** Samples per batch (and so per batch-normalization statistic). Default 128. */
  batchSize?: number;
}

/**
 * Per-layer gradient norms of a loaded model (logits output, loadLayersModel) at `flat`: mean
 * loss over data, batch normalization with each batch's own statistics as in training, whose
 * gradients are the ones that vanish or not (with the moving statistics a fresh net's BN is the
 * identity, not the network training sees).
 */
export async function gradientFlow(model: tf.LayersModel, data: EvalData, options: GradientFlowOptions): Promise<GradientFlow> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const evaluator = createGradientEvaluator(model, data, {
    loss: options.loss,
    params: options.params,
    batchSize,
    batchNorm: 'batch',
  });
  try {
    const { loss, gradient } = await evaluator.lossAndGradient(options.flat);
    const layers = layerGradientNorms(gradient, options.params);
    const first = layers[0];
    const last = layers[layers.length - 1];
    return {
      label: options.label,
      loss,
      samples: data.n,
      batchSize,
      layers,
      firstToLast: first && last && last.rms > 0 ? first.rms / last.rms : null,
    };
  } finally {
    evaluator.dispose();
  }
}

/** gradientFlow for a stored model (loads it, and disposes it after). `flat` defaults to its stored weights. */
export async function gradientFlowOfArtifact(
  artifact: ModelArtifact,
  data: EvalData,
  options: { loss: LossName; label: string; flat: Float32Array; batchSize?: number },
): Promise<GradientFlow> {
  await initTfjs();
  const model = await loadLayersModel(artifact);
  try {
    return await gradientFlow(model, data, { ...options, params: artifact.parameters });
  } finally {
    model.dispose();
  }
}
