import * as tf from './tf.ts';
import type { LayersModelJson } from '../../../contract/index.ts';

/** The two files of a stored tfjs Layers model (a type alias, so it is a Record<string, Uint8Array>). */
export type LayersModelFiles = {
  'model.json': Uint8Array<ArrayBuffer>;
  'weights.bin': Uint8Array<ArrayBuffer>;
};

/** The shard name every stored model.json points to. */
export const WEIGHTS_FILE = 'weights.bin';

function concatenate(data: ArrayBuffer | ArrayBuffer[]): Uint8Array<ArrayBuffer> {
  const buffers = Array.isArray(data) ? data : [data];
  const joined = new Uint8Array(buffers.reduce((n, b) => n + b.byteLength, 0));
  let at = 0;
  for (const buffer of buffers) {
    joined.set(new Uint8Array(buffer), at);
    at += buffer.byteLength;
  }
  return joined;
}

/**
 * Serialize a model in memory (a custom IOHandler: file:// needs tfjs-node) as model.json with ONE
 * weights shard 'weights.bin' holding float32 weights in manifest order. A compiled model's training
 * config (which names the loss) is kept; optimizer state is not.
 */
export async function saveLayersModel(model: tf.LayersModel): Promise<LayersModelFiles> {
  let files: LayersModelFiles | null = null;
  // tfjs writes the training config only together with the optimizer's weights (includeOptimizer),
  // so it is read directly; getTrainingConfig is protected in the typings only.
  const trainingConfig = model.optimizer ? (model as unknown as { getTrainingConfig(): tf.io.TrainingConfig }).getTrainingConfig() : undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      if (!artifacts.weightSpecs || !artifacts.weightData) throw new Error('tfjs produced no weights to save');
      const json: LayersModelJson = {
        format: 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        modelTopology: artifacts.modelTopology,
        ...(trainingConfig ? { trainingConfig } : {}),
        weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs.map(({ name, shape, dtype }) => ({ name, shape, dtype })) }],
      };
      files = {
        'model.json': new TextEncoder().encode(JSON.stringify(json)),
        'weights.bin': concatenate(artifacts.weightData),
      };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!files) throw new Error('tfjs did not call the save handler');
  return files;
}
