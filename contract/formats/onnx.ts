import { ContractError } from '../errors.ts';
import { initializerFloats, readOnnxModel, withInitializers } from '../onnx-model.ts';
import { channelsFirstShape, checkParameterVector, sameShape, type ModelFormatSpec } from './format.ts';

function modelBytes(files: Record<string, Uint8Array>, missing: string): Uint8Array {
  const bytes = files['model.onnx'];
  if (!bytes) throw new ContractError('model.onnx', missing);
  return bytes;
}

/**
 * ONNX models (torch.onnx.export, tf2onnx): one model.onnx with its weights inside, the
 * parameter model read from the graph (contract/onnx-model.ts). θ* is the initializers the
 * parameter model names. A channels-first graph (PyTorch) takes NHWC image samples transposed.
 */
export const onnx: ModelFormatSpec = {
  id: 'onnx',
  mainFile: 'model.onnx',
  singleFile: true,
  detect: (names) => names.some((name) => name.toLowerCase().endsWith('.onnx')),
  canonicalize(files) {
    const bytes = modelBytes(files, 'is missing');
    return { description: readOnnxModel(bytes).description, files: { 'model.onnx': bytes } };
  },
  describe: (files) => readOnnxModel(modelBytes(files, 'the model has no model.onnx file')).description,
  storedParameters(files, parameters) {
    const initializers = new Map(readOnnxModel(modelBytes(files, 'the model has no model.onnx file')).model.graph!.initializer.map((t) => [t.name, t]));
    const theta = new Float32Array(parameters.reduce((n, p) => n + p.size, 0));
    for (const p of parameters) theta.set(initializerFloats(initializers.get(p.name)!), p.offset);
    return theta;
  },
  withParameters(files, parameters, theta) {
    checkParameterVector(theta, parameters);
    const values = new Map(parameters.map((p) => [p.name, theta.subarray(p.offset, p.offset + p.size)]));
    return { ...files, 'model.onnx': withInitializers(modelBytes(files, 'the model has no model.onnx file'), values) };
  },
  sampleLayout(inputShape, sampleShape) {
    if (sameShape(inputShape, sampleShape)) return 'as-is';
    return sampleShape.length === 3 && sameShape(inputShape, channelsFirstShape(sampleShape)) ? 'channels-first' : null;
  },
  capabilities: { engines: ['onnx'], gradients: true },
};
