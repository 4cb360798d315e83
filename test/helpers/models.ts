import * as tf from '../../worker/engine/tfjs/tf.ts';
import { saveLayersModel } from '../../worker/engine/tfjs/save-model.ts';

/** A small seeded classifier for 2D inputs (the synthetic sets), saved as tfjs Layers files. */
export async function mlpFiles(hidden = [16], seed = 1, activation: 'tanh' | 'relu' = 'tanh'): Promise<Record<string, Uint8Array>> {
  const model = tf.sequential();
  hidden.forEach((units, i) =>
    model.add(tf.layers.dense({ ...(i === 0 ? { inputShape: [2] } : {}), units, activation, kernelInitializer: tf.initializers.glorotNormal({ seed: seed + i }) })),
  );
  model.add(tf.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: tf.initializers.glorotNormal({ seed: seed + 100 }) }));
  const files = await saveLayersModel(model);
  model.dispose();
  return files as unknown as Record<string, Uint8Array>;
}

/** POST /api/v1/models with the given files; returns the parsed JSON and status. */
export async function uploadModel(baseUrl: string, name: string, files: Record<string, Uint8Array>, headers?: Record<string, string>) {
  const form = new FormData();
  form.set('name', name);
  for (const [fileName, bytes] of Object.entries(files)) form.append(fileName, new Blob([Buffer.from(bytes)]), fileName);
  const response = await fetch(`${baseUrl}/api/v1/models`, { method: 'POST', body: form, headers });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
