import { Type, type Static } from 'typebox';
import { TenantField } from './tenant.ts';
import { ParameterInfo } from './parameters.ts';
import { LossName } from './losses.ts';

export const ModelFormat = Type.Union([Type.Literal('tfjs-layers'), Type.Literal('onnx')]);
export type ModelFormat = Static<typeof ModelFormat>;

/** A stored model as a job names it: its files (name → sha256) travel as blobs through Redis. */
export interface ModelRef {
  id: string;
  hash: string;
  name: string;
  format: ModelFormat;
  files: Record<string, string>;
}

/**
 * A stored model. Its files are content-addressed blobs: for tfjs-layers, `model.json` (with the
 * manifest rewritten to the single shard `weights.bin`) and `weights.bin` (float32 LE, manifest
 * order); for onnx, `model.onnx`. `hash` identifies the whole model (sha256 over the file hashes).
 */
export const ModelRecord = Type.Object({
  id: Type.String(),
  name: Type.String(),
  format: ModelFormat,
  source: Type.Union([Type.Literal('demo'), Type.Literal('upload'), Type.Literal('training'), Type.Literal('zoo')]),
  description: Type.String(),
  hash: Type.String(),
  files: Type.Record(Type.String(), Type.String(), { description: 'file name → sha256 of its bytes' }),
  inputShape: Type.Array(Type.Integer(), { description: 'One sample, without the batch axis (-1 = free)' }),
  loss: Type.Union([LossName, Type.Null()], { description: 'Loss named by the training config, used when a job names none' }),
  outputActivation: Type.String({ description: 'softmax/sigmoid outputs are probabilities; anything else is treated as logits' }),
  parameterCount: Type.Integer(),
  layers: Type.Array(Type.Object({ name: Type.String(), className: Type.String() })),
  parameters: Type.Array(ParameterInfo),
  dataset: Type.Union([Type.String(), Type.Null()], { description: 'Dataset the model was trained on, if known' }),
  tags: Type.Array(Type.String()),
  metadata: Type.Record(Type.String(), Type.Unknown(), { description: 'Training record, recipe and seeds where known' }),
  createdAt: Type.String(),
  ...TenantField,
});
export type ModelRecord = Static<typeof ModelRecord>;

/** How a job names a stored model. */
export function modelRef(model: ModelRecord): ModelRef {
  return { id: model.id, hash: model.hash, name: model.name, format: model.format, files: model.files };
}
