import { ContractError, type ModelFormat } from '../../../contract/index.ts';
import { modelFormat, parseModelJson } from '../../../contract/formats/index.ts';
import { initializerFloats, readOnnxModel } from '../../../contract/onnx-model.ts';
import type { ModelArtifact } from '../evaluator.ts';
import { exportLayersToOnnx, type InitializerBinding } from './export-layers.ts';

const BYTES_PER_FLOAT32 = 4;

/**
 * A stored model as an ONNX graph, whatever format it came in: the one loader of the onnxruntime
 * forward evaluator, the gradient engine and ONNX training. ONNX uploads are taken as they are;
 * tfjs Layers models are converted by exportLayersToOnnx, whose bindings map each initializer to
 * its entries of the flat parameter vector (θ in the artifact's parameter model).
 */
export interface ModelGraph {
  /** The serialized ONNX model, parameters as initializers. */
  bytes: Uint8Array;
  bindings: InitializerBinding[];
  /** θ*: the stored parameters, flat in parameter-model order. */
  theta: Float32Array;
  inputName: string;
  outputName: string;
  /** One sample as the graph takes it (-1 = free). */
  graphInputShape: number[];
  /** The format the model came in: its sample layouts apply to the graph input (a PyTorch graph is NCHW, a converted Layers model NHWC). */
  format: ModelFormat;
  /** The file a problem with the whole model is reported against. */
  field: string;
}

function onnxGraph(artifact: ModelArtifact): Omit<ModelGraph, 'field'> {
  const file = artifact.files['model.onnx'];
  if (!file) throw new ContractError('model.onnx', 'the model has no model.onnx file');
  const reading = readOnnxModel(file);
  const { parameters, inputShape } = reading.description;
  if (artifact.parameters.length !== parameters.length || artifact.parameters.some((p, i) => p.name !== parameters[i]!.name || p.offset !== parameters[i]!.offset)) {
    throw new ContractError('model.onnx', 'the stored parameter model does not match the graph');
  }
  const theta = new Float32Array(parameters.reduce((n, p) => n + p.size, 0));
  const byName = new Map(reading.model.graph!.initializer.map((t) => [t.name, t]));
  for (const p of parameters) theta.set(initializerFloats(byName.get(p.name)!), p.offset);
  return {
    bytes: file,
    bindings: parameters.map((p) => ({ parameter: p.name, initializer: p.name, offset: p.offset, size: p.size, gather: null })),
    theta,
    inputName: reading.inputName,
    outputName: reading.outputName,
    graphInputShape: inputShape,
    format: 'onnx',
  };
}

function layersGraph(artifact: ModelArtifact): Omit<ModelGraph, 'field'> {
  const json = parseModelJson(artifact.files);
  const weightsFile = artifact.files['weights.bin'];
  if (!weightsFile) throw new ContractError('weights.bin', 'the model has no weights.bin file');
  if (weightsFile.byteLength % BYTES_PER_FLOAT32 !== 0) throw new ContractError('weights.bin', 'is not a whole number of float32 values');
  const theta = new Float32Array(weightsFile.byteLength / BYTES_PER_FLOAT32);
  new Uint8Array(theta.buffer).set(weightsFile);
  const exported = exportLayersToOnnx(json, theta);
  const bound = new Set(exported.initializerMap.map((b) => `${b.parameter}@${b.offset}`));
  if (artifact.parameters.length !== exported.initializerMap.length || artifact.parameters.some((p) => !bound.has(`${p.name}@${p.offset}`))) {
    throw new ContractError('model.json', 'the stored parameter model does not match model.json');
  }
  return {
    bytes: exported.model,
    bindings: exported.initializerMap,
    theta,
    inputName: exported.inputName,
    outputName: exported.outputName,
    graphInputShape: exported.inputShape,
    format: 'tfjs-layers',
  };
}

/** How each model format becomes an ONNX graph (netron style: one row per format). */
const GRAPH_LOADERS: Record<ModelFormat, (artifact: ModelArtifact) => Omit<ModelGraph, 'field'>> = { onnx: onnxGraph, 'tfjs-layers': layersGraph };

export function modelGraph(artifact: ModelArtifact): ModelGraph {
  return { ...GRAPH_LOADERS[artifact.format](artifact), field: modelFormat(artifact.format).mainFile };
}

/** One initializer's values (ONNX layout) out of the flat vector θ. */
export function readBinding(target: Float32Array, theta: Float32Array, binding: InitializerBinding): void {
  const source = theta.subarray(binding.offset, binding.offset + binding.size);
  const gather = binding.gather;
  if (gather) for (let i = 0; i < binding.size; i++) target[i] = source[gather[i]!]!;
  else target.set(source);
}

/** One initializer's values (ONNX layout) written into their entries of the flat vector θ. */
export function writeBinding(theta: Float32Array, values: Float32Array, binding: InitializerBinding): void {
  const gather = binding.gather;
  if (gather) for (let i = 0; i < binding.size; i++) theta[binding.offset + gather[i]!] = values[i]!;
  else theta.set(values, binding.offset);
}
