import { ContractError } from '../errors.ts';
import type { ParameterInfo } from '../parameters.ts';
import { describeLayersModel, type LayersModelJson } from '../tfjs-layers.ts';
import { checkParameterVector, sameShape, type ModelFormatSpec } from './format.ts';

const decoder = new TextDecoder();

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Names of the layers an inbound_nodes entry reads from, in either serialization: Keras 2
 * `[[["conv", 0, 0, {}]]]` or Keras 3 `[{ args: [{ config: { keras_history: ["conv", 0, 0] } }] }]`.
 */
function inboundNames(inbound: unknown): string[] {
  const names: string[] = [];
  const stack: { value: unknown; depth: number }[] = [{ value: inbound, depth: 0 }];
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!;
    if (depth > 8) throw new ContractError('model.json', 'inbound_nodes nest too deep');
    if (Array.isArray(value)) {
      if (typeof value[0] === 'string' && typeof value[1] === 'number') names.push(value[0]);
      else for (const v of value) stack.push({ value: v, depth: depth + 1 });
    } else if (isRecord(value)) {
      if (Array.isArray(value.keras_history) && typeof value.keras_history[0] === 'string') names.push(value.keras_history[0]);
      else for (const v of Object.values(value)) stack.push({ value: v, depth: depth + 1 });
    }
  }
  return names;
}

/**
 * A functional graph tfjs can build: layer names unique within their model, every inbound layer
 * present, no cycle (tfjs would loop on one forever). Nested models are checked each in turn;
 * describeLayersModel has already bounded their nesting and layer count.
 */
function checkLayersGraph(topology: unknown): void {
  const models: unknown[] = [isRecord(topology) && isRecord(topology.model_config) ? topology.model_config : topology];
  while (models.length > 0) {
    const model = models.pop();
    if (!isRecord(model) || !isRecord(model.config) || !Array.isArray(model.config.layers)) continue;
    const layers = model.config.layers as Record<string, unknown>[];
    const inputs = new Map<string, string[]>();
    for (const layer of layers) {
      const config = layer.config as Record<string, unknown> | undefined;
      const name = String(config?.name ?? layer.name ?? '');
      if (inputs.has(name)) throw new ContractError('model.json', `layer "${name}" appears more than once in model "${String(model.config.name ?? '')}"`);
      inputs.set(name, inboundNames(layer.inbound_nodes));
      if (Array.isArray(config?.layers)) models.push(layer);
    }
    for (const [name, from] of inputs) {
      const missing = from.find((source) => !inputs.has(source));
      if (missing !== undefined) throw new ContractError('model.json', `layer "${name}" reads from layer "${missing}", which the model does not have`);
    }
    // Kahn's algorithm: whatever never reaches in-degree 0 sits on a cycle.
    const pending = new Map([...inputs].map(([name, from]) => [name, from.length]));
    const readers = new Map<string, string[]>();
    for (const [name, from] of inputs) for (const source of from) readers.set(source, [...(readers.get(source) ?? []), name]);
    const ready = [...pending].filter(([, n]) => n === 0).map(([name]) => name);
    while (ready.length > 0) {
      const name = ready.pop()!;
      pending.delete(name);
      for (const reader of readers.get(name) ?? []) {
        const left = pending.get(reader)! - 1;
        pending.set(reader, left);
        if (left === 0) ready.push(reader);
      }
    }
    const cyclic = pending.keys().next();
    if (!cyclic.done) throw new ContractError('model.json', `layer "${cyclic.value}" is on a cycle: a layer graph must be acyclic`);
  }
}

/** The first weight holding NaN or ±Infinity; a landscape around such θ* means nothing. */
function checkFiniteWeights(weights: Float32Array, specs: { name: string; shape: number[] }[]): void {
  let at = 0;
  for (const spec of specs) {
    const size = spec.shape.reduce((n, d) => n * d, 1);
    for (let i = at; i < at + size; i++) {
      if (!Number.isFinite(weights[i]!)) throw new ContractError(spec.name, `holds ${weights[i]} at element ${i - at}: weights must be finite`);
    }
    at += size;
  }
}

/** The parsed model.json of a model's files; ContractError when it is absent or not JSON. */
export function parseModelJson(files: Record<string, Uint8Array>, missing = 'the model has no model.json file'): LayersModelJson {
  const bytes = Object.hasOwn(files, 'model.json') ? files['model.json'] : undefined;
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
    // A stored model is for landscapes; the exporter still describes weight-free graphs (e.g. a lone UpSampling2D).
    if (description.parameters.length === 0) throw new ContractError('model.json', 'weightsManifest names no weights: a landscape needs parameters to perturb');
    checkLayersGraph(json.modelTopology);
    const shards = description.shardPaths.map((path) => {
      // Own entries only: a manifest path such as "constructor" must not find Object.prototype's.
      const bytes = Object.hasOwn(files, path) ? files[path] : undefined;
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
    checkFiniteWeights(new Float32Array(weights.buffer), description.weights);
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
  withParameters(files, parameters, theta) {
    checkParameterVector(theta, parameters);
    return { ...files, 'weights.bin': new Uint8Array(theta.slice().buffer) };
  },
  sampleLayout: (inputShape, sampleShape) => (sameShape(inputShape, sampleShape) ? 'as-is' : null),
  capabilities: { engines: ['onnx', 'tfjs'], gradients: true },
};
