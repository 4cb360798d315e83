import type { ModelFormat } from '../models.ts';
import type { ModelFormatSpec } from './format.ts';
import { onnx } from './onnx.ts';
import { tfjsLayers } from './tfjs-layers.ts';

export * from './format.ts';
export { parseModelJson } from './tfjs-layers.ts';

/** Every model format Loss Atlas reads: the one place that knows what differs between them. */
export const MODEL_FORMATS: Record<ModelFormat, ModelFormatSpec> = {
  'tfjs-layers': tfjsLayers,
  onnx,
};

export function modelFormat(id: ModelFormat): ModelFormatSpec {
  return MODEL_FORMATS[id];
}

/**
 * The format of an upload from its file names: ONNX when a .onnx file is there (one
 * self-contained file), else tfjs Layers (whose canonicalize names what is missing).
 */
export function detectFormat(fileNames: string[]): ModelFormatSpec {
  return onnx.detect(fileNames) ? onnx : tfjsLayers;
}
