import * as tf from '../engine/tfjs/tf.ts';
import { describeLayersModel, type ParameterInfo } from '../../contract/index.ts';
import type { ModelArtifact } from '../engine/evaluator.ts';
import { layersModelArtifact } from '../engine/tfjs/artifact.ts';
import { loadLayersModel } from '../engine/tfjs/load-model.ts';
import { saveLayersModel } from '../engine/tfjs/save-model.ts';

/** Test support: a tf model round-tripped through the stored format, as workers receive models. */
export interface StoredModel {
  artifact: ModelArtifact;
  model: tf.LayersModel;
  params: ParameterInfo[];
  theta: Float32Array;
}

export async function storedModel(built: tf.LayersModel): Promise<StoredModel> {
  const files = await saveLayersModel(built);
  built.dispose();
  const artifact = layersModelArtifact({ ...files }, 'test');
  const model = await loadLayersModel(artifact);
  const params = describeLayersModel(JSON.parse(new TextDecoder().decode(files['model.json']))).parameters;
  const theta = new Float32Array(files['weights.bin'].slice().buffer);
  return { artifact, model, params, theta };
}
