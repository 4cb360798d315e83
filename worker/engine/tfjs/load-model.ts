import * as tf from './tf.ts';
import { ContractError, describeLayersModel } from '../../../contract/index.ts';
import type { ModelArtifact } from '../evaluator.ts';
import { modelFormat, parseModelJson } from '../../../contract/formats/index.ts';
import { logitsTopology } from './logits.ts';

const BYTES_PER_FLOAT32 = 4;

/** The weight shards named by the manifest, concatenated in manifest order into one fresh buffer. */
function weightBuffer(artifact: ModelArtifact, shardPaths: string[], expectedBytes: number): ArrayBuffer {
  const shards = shardPaths.map((path) => {
    const bytes = artifact.files[path];
    if (!bytes) throw new ContractError(path, 'is named by the weights manifest but is not among the model files');
    return bytes;
  });
  const total = shards.reduce((n, s) => n + s.byteLength, 0);
  if (total !== expectedBytes) {
    throw new ContractError(shardPaths.join('+'), `holds ${total} bytes but the manifest describes ${expectedBytes} (float32 weights)`);
  }
  const joined = new Uint8Array(total);
  let at = 0;
  for (const shard of shards) {
    joined.set(shard, at);
    at += shard.byteLength;
  }
  return joined.buffer;
}

/**
 * A tfjs Layers model from a ModelArtifact whose files are 'model.json' (manifest naming the shard
 * 'weights.bin') and 'weights.bin', loaded from memory: file:// handlers need tfjs-node. Its
 * output is logits: a final softmax/sigmoid is stripped (logits.ts), because the engines compute
 * cross-entropy from the pre-activation (method.md, "Losses"); argmax, hence accuracy, is the
 * same. Throws ContractError naming the file at fault.
 */
export async function loadLayersModel(artifact: ModelArtifact): Promise<tf.LayersModel> {
  if (!modelFormat(artifact.format).capabilities.engines.includes('tfjs')) throw new ContractError('model', `format ${artifact.format} is not a tfjs Layers model`);
  const json = parseModelJson(artifact.files);
  const description = describeLayersModel(json);
  const expectedBytes = description.weights.reduce((n, w) => n + w.shape.reduce((s, d) => s * d, 1) * BYTES_PER_FLOAT32, 0);
  const weightData = weightBuffer(artifact, description.shardPaths, expectedBytes);
  const { topology, stripped } = logitsTopology(json.modelTopology);
  if ((artifact.outputActivation === 'softmax' || artifact.outputActivation === 'sigmoid') && stripped !== artifact.outputActivation) {
    throw new Error(`the model's output activation is ${artifact.outputActivation}, but no ${artifact.outputActivation} was found to strip from its last layer`);
  }
  const handler = tf.io.fromMemory({
    modelTopology: topology as {},
    weightSpecs: description.weights.map((w) => ({ name: w.name, shape: w.shape, dtype: 'float32' as const })),
    weightData,
    format: 'layers-model',
  });
  try {
    return await tf.loadLayersModel(handler);
  } catch (err) {
    throw new ContractError('model.json', `tfjs could not build the model: ${(err as Error).message}`);
  }
}
