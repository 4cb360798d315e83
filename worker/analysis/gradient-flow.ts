import type { GradientFlow, GradientFlowLayer } from '../../contract/metrics/gradient-flow.ts';
import type { LossName, ParameterInfo } from '../../contract/index.ts';
import { createGradientEngine } from '../autodiff/index.ts';
import type { EvalData, ModelArtifact } from '../engine/evaluator.ts';

/** Samples per batch (and so per batch-normalization statistic) unless told otherwise. */
export const DEFAULT_GRADIENT_FLOW_BATCH_SIZE = 128;

/**
 * ‖∂L/∂W_l‖₂ of every trainable kernel, in parameter-model order. For tfjs Layers models that is
 * the weight manifest's order, which Keras writes layer by layer from input to output; for ONNX
 * models the initializers' order, which exporters write in graph order.
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
  /** Parameters to take the gradient at, flat in parameter-model order. */
  flat: Float32Array;
  /** What `flat` is, e.g. 'initialisation' or 'trained'. */
  label: string;
  /** Samples per batch (and so per batch-normalization statistic). Default 128. */
  batchSize?: number;
  /** onnxruntime intra-op threads. Default 1. */
  threads?: number;
}

/**
 * Per-layer gradient norms of a stored model (tfjs Layers or ONNX) at `flat`, by the exact
 * gradient engine (reverse-mode autodiff on onnxruntime): mean loss over data, cross-entropy from
 * logits, batch normalization with each batch's own statistics as in training, whose gradients
 * are the ones that vanish or not. (With the moving statistics a fresh net's BN is the identity.)
 */
export async function gradientFlowOfArtifact(artifact: ModelArtifact, data: EvalData, options: GradientFlowOptions): Promise<GradientFlow> {
  const batchSize = options.batchSize ?? DEFAULT_GRADIENT_FLOW_BATCH_SIZE;
  // Kernels are the tensors of rank ≥ 2: the 'weights' set is all the norms need.
  const engine = await createGradientEngine(artifact, { parameters: 'weights', batchNorm: 'batch', loss: options.loss, batchSize, threads: options.threads ?? 1 });
  try {
    await engine.setData(data);
    const { loss, gradient } = await engine.lossAndGradient(options.flat);
    const layers = layerGradientNorms(gradient, artifact.parameters);
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
    await engine.dispose();
  }
}
