import type { ModelArtifact } from '../evaluator.ts';
import { modelArtifact } from '../../artifacts.ts';

/** A tfjs-layers ModelArtifact from its files (model.json + weights.bin bytes). `hash` identifies the model. */
export function layersModelArtifact(files: Record<string, Uint8Array>, hash: string): ModelArtifact {
  return modelArtifact('tfjs-layers', files, hash);
}

/** worker/autodiff imports it from here (branch autodiff predates the format registry); its home is contract/formats. */
export { parseModelJson } from '../../../contract/formats/tfjs-layers.ts';
