import type { ModelFormat } from '../../contract/index.ts';
import { readOnnxModel } from '../../contract/onnx-model.ts';
import type { ModelArtifact } from '../engine/evaluator.ts';
import { parseModelJson } from '../engine/tfjs/artifact.ts';

const f = Math.fround;

/** Keras / tfjs BatchNormalization's default momentum; ONNX BatchNormalization's default is 0.9. */
const KERAS_DEFAULT_MOMENTUM = 0.99;
const ONNX_DEFAULT_MOMENTUM = 0.9;

/** One BN moving mean or moving variance tensor in the flat parameter vector, with its layer's momentum. */
export interface MovingStatistic {
  offset: number;
  size: number;
  momentum: number;
}

interface KerasLayerConfig {
  class_name?: string;
  config?: { name?: string; momentum?: number; layers?: KerasLayerConfig[] };
}

/** Momentum by BN moving-statistic parameter name, as each format records it (one row per format). */
const MOMENTA: Record<ModelFormat, (artifact: ModelArtifact) => Map<string, number>> = {
  'tfjs-layers': (artifact) => {
    const byLayer = kerasMomenta(artifact);
    const byParameter = new Map<string, number>();
    for (const p of artifact.parameters) {
      const momentum = byLayer.get(p.layer);
      if (momentum !== undefined) byParameter.set(p.name, momentum);
    }
    return byParameter;
  },
  onnx: onnxMomenta,
};

/** Momentum by BatchNormalization layer name (model.json). */
function kerasMomenta(artifact: ModelArtifact): Map<string, number> {
  const json = parseModelJson(artifact.files) as unknown as { modelTopology?: { model_config?: KerasLayerConfig } & KerasLayerConfig };
  const root = json.modelTopology?.model_config ?? json.modelTopology;
  const momenta = new Map<string, number>();
  const visit = (layer: KerasLayerConfig | undefined) => {
    if (!layer?.config) return;
    if (layer.class_name === 'BatchNormalization' && layer.config.name) momenta.set(layer.config.name, layer.config.momentum ?? KERAS_DEFAULT_MOMENTUM);
    for (const inner of layer.config.layers ?? []) visit(inner);
  };
  visit(root);
  return momenta;
}

/** Momentum by moving-statistic initializer name (BatchNormalization inputs 3 and 4). */
function onnxMomenta(artifact: ModelArtifact): Map<string, number> {
  const momenta = new Map<string, number>();
  for (const node of readOnnxModel(artifact.files['model.onnx']!).model.graph!.node) {
    if (node.opType !== 'BatchNormalization') continue;
    const momentum = node.attribute.find((a) => a.name === 'momentum')?.f ?? ONNX_DEFAULT_MOMENTUM;
    for (const input of node.input.slice(3, 5)) momenta.set(input, momentum);
  }
  return momenta;
}

/** Every BN moving mean/variance of the model, with the momentum its layer (node) declares. */
export function movingStatistics(artifact: ModelArtifact): MovingStatistic[] {
  const moving = artifact.parameters.filter((p) => p.role === 'bn_moving_mean' || p.role === 'bn_moving_variance');
  if (moving.length === 0) return [];
  const momenta = MOMENTA[artifact.format](artifact);
  return moving.map((p) => {
    const momentum = momenta.get(p.name);
    if (momentum === undefined) throw new Error(`no BatchNormalization momentum found for ${p.name}`);
    return { offset: p.offset, size: p.size, momentum };
  });
}

/**
 * The running update of Keras / tfjs BatchNormalization in training mode, in float32 as tfjs does it:
 * moving ← moving − (moving − batch)·(1 − momentum), with the batch mean and the BIASED batch
 * variance (tfjs-layers normalizeBatchInTraining: tf.moments). ONNX's BatchNormalization training
 * mode states the same rule (running = running·momentum + batch·(1 − momentum)).
 * PyTorch differs in two ways: its `momentum` is the weight of the NEW value (PyTorch 0.1 = Keras
 * 0.9), and its running variance takes the UNBIASED batch variance (× n/(n−1), n = values per
 * channel in the batch) while normalizing with the biased one.
 * `batch` holds θ with each moving tensor's entries replaced by the batch's statistics.
 */
export function updateMovingStatistics(theta: Float32Array, batch: Float32Array, statistics: MovingStatistic[]): void {
  for (const { offset, size, momentum } of statistics) {
    const decay = f(1 - momentum);
    for (let i = offset; i < offset + size; i++) theta[i] = f(theta[i]! - f(f(theta[i]! - batch[i]!) * decay));
  }
}
