import * as tf from './tf.ts';

/** Layers that pass the output layer's values through unchanged (as contract/tfjs-layers.ts' outputActivation skips them). */
const PASS_THROUGH = new Set(['Sequential', 'Functional', 'Model', 'Dropout', 'Flatten', 'Reshape']);
/** Final activations whose pre-activation the cross-entropies are computed from (method.md, "Losses"). */
const PROBABILITY_ACTIVATIONS = new Set(['softmax', 'sigmoid']);

interface LayerJson {
  class_name: string;
  config?: { layers?: LayerJson[]; activation?: unknown; [key: string]: unknown };
  [key: string]: unknown;
}

function layersInOrder(layer: LayerJson, out: LayerJson[]): LayerJson[] {
  out.push(layer);
  for (const inner of layer.config?.layers ?? []) layersInOrder(inner, out);
  return out;
}

/**
 * A copy of a Layers model topology whose output layer computes logits: a softmax/sigmoid
 * activation of the last layer (Dense, Conv, Activation) becomes 'linear', a Softmax layer an
 * identity Activation of the same name. The weights are unchanged, so the same weights file loads
 * into it. `stripped` names what was removed (null: the outputs were logits already).
 */
export function logitsTopology(topology: unknown): { topology: unknown; stripped: 'softmax' | 'sigmoid' | null } {
  const copy = structuredClone(topology) as Record<string, unknown>;
  const root = (copy.model_config ?? copy) as LayerJson;
  const last = layersInOrder(root, []).reverse().find((l) => !PASS_THROUGH.has(l.class_name));
  if (!last?.config) return { topology: copy, stripped: null };
  if (last.class_name === 'Softmax') {
    last.class_name = 'Activation';
    last.config = { name: last.config.name, trainable: last.config.trainable, dtype: last.config.dtype, activation: 'linear' };
    return { topology: copy, stripped: 'softmax' };
  }
  const activation = last.config.activation;
  if (typeof activation === 'string' && PROBABILITY_ACTIVATIONS.has(activation)) {
    last.config.activation = 'linear';
    return { topology: copy, stripped: activation as 'softmax' | 'sigmoid' };
  }
  return { topology: copy, stripped: null };
}

/**
 * A model with `model`'s weights (copied, not shared) whose output is the logits of `model`'s
 * output: training steps on it and copies the weights back (trainModel).
 */
export async function logitsTwin(model: tf.LayersModel): Promise<tf.LayersModel> {
  const { topology } = logitsTopology(model.toJSON(null, false));
  const twin = await tf.models.modelFromJSON({ modelTopology: topology as tf.io.ModelJSON['modelTopology'] });
  twin.setWeights(model.getWeights());
  return twin;
}
