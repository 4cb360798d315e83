import type { ModelArtifact } from '../evaluator.ts';
import { modelArtifact } from '../../artifacts.ts';

/** A tfjs-layers ModelArtifact from its files (model.json + weights.bin bytes). `hash` identifies the model. */
export function layersModelArtifact(files: Record<string, Uint8Array>, hash: string): ModelArtifact {
  return modelArtifact('tfjs-layers', files, hash);
}
