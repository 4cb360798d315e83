import { ContractError } from '../errors.ts';
import type { ParameterInfo } from '../parameters.ts';
import { describeLayersModel, type LayersModelJson } from '../tfjs-layers.ts';
import { sameShape, type ModelFormatSpec } from './format.ts';

const decoder = new TextDecoder();

/** The parsed model.json of a model's files; ContractError when it is absent or not JSON. */
export function parseModelJson(files: Record<string, Uint8Array>, missing = 'the model has no model.json file'): LayersModelJson {
  const bytes = files['model.json'];
  if (!bytes) throw new ContractError('model.json', missing);
  try {
    return JSON.parse(decoder.decode(bytes)) as LayersModelJson;
  } catch (err) {
    throw new ContractError('model.json', `is not valid JSON (${(err as Error).message})`);
  }
}

/**
 * tfjs / Keras Layers models: model.json (topology and weights manifest) and float32 weight
 * shards. Stored canonical: the shards concatenated in manifest order into one weights.bin, so
 * weights.bin is θ* in parameter-model order. Samples are NHWC (channels last), as stored.
 */
export const tfjsLayers: ModelFormatSpec = {
  id: 'tfjs-layers',
  mainFile: 'model.json',
  singleFile: false,
  detect: (names) => names.includes('model.json'),
  canonicalize(files) {
    const json = parseModelJson(files, 'is missing: upload model.json with its weight shards, or a model.onnx') as unknown as Record<string, unknown>;
    const description = describeLayersModel(json);
    const shards = description.shardPaths.map((path) => {
      const bytes = files[path];
      if (!bytes) throw new ContractError(path, 'is named by model.json weightsManifest but was not uploaded');
      return bytes;
    });
    const expected = description.parameters.reduce((n, p) => n + p.size, 0) * 4;
    const actual = shards.reduce((n, s) => n + s.byteLength, 0);
    if (actual !== expected) {
      throw new ContractError(description.shardPaths.join(', '), `hold ${actual} bytes but the manifest declares ${expected} (float32)`);
    }
    const weights = new Uint8Array(actual);
    let at = 0;
    for (const shard of shards) {
      weights.set(shard, at);
      at += shard.byteLength;
    }
    const canonical = { ...json, weightsManifest: [{ paths: ['weights.bin'], weights: description.weights }] };
    return { description, files: { 'model.json': new TextEncoder().encode(JSON.stringify(canonical)), 'weights.bin': weights } };
  },
  describe: (files) => describeLayersModel(parseModelJson(files)),
  storedParameters(files, parameters: ParameterInfo[]) {
    const expected = parameters.reduce((n, p) => n + p.size, 0);
    const weights = files['weights.bin'];
    if (!weights) throw new ContractError('model', 'has no weights.bin');
    if (weights.byteLength !== expected * 4) throw new ContractError('weights.bin', `holds ${weights.byteLength} bytes, expected ${expected * 4}`);
    return new Float32Array(weights.slice().buffer);
  },
  sampleLayout: (inputShape, sampleShape) => (sameShape(inputShape, sampleShape) ? 'as-is' : null),
  capabilities: { engines: ['onnx', 'tfjs'], gradients: true },
};
