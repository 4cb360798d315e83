import { ContractError, describeLayersModel, type LayersModelJson } from '../../../contract/index.ts';
import type { ModelArtifact } from '../evaluator.ts';

/** The parsed model.json of a model's files; ContractError when it is absent or not JSON. */
export function parseModelJson(files: Record<string, Uint8Array>): LayersModelJson {
  const bytes = files['model.json'];
  if (!bytes) throw new ContractError('model.json', 'the model has no model.json file');
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as LayersModelJson;
  } catch (err) {
    throw new ContractError('model.json', `is not valid JSON (${(err as Error).message})`);
  }
}

/**
 * A tfjs-layers ModelArtifact from its files (model.json + weights.bin bytes): the parameter model
 * and output activation come from describeLayersModel(model.json). `hash` identifies the model.
 */
export function layersModelArtifact(files: Record<string, Uint8Array>, hash: string): ModelArtifact {
  const description = describeLayersModel(parseModelJson(files));
  return { hash, format: 'tfjs-layers', files, parameters: description.parameters, outputActivation: description.outputActivation };
}
