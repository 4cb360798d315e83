import * as tf from '../engine/tfjs/tf.ts';
import { describe, expect, it } from 'vitest';
import type { EvalData } from '../engine/evaluator.ts';
import { layersModelArtifact } from '../engine/tfjs/artifact.ts';
import { initTfjs } from '../engine/tfjs/backend.ts';
import { createGradientEvaluator } from '../engine/tfjs/gradient.ts';
import { loadLayersModel } from '../engine/tfjs/load-model.ts';
import { saveLayersModel } from '../engine/tfjs/save-model.ts';
import { resnet } from '../zoo/resnet.ts';
import { createGradientEngine } from './index.ts';
import { relativeError, values } from './ops/gradient-check.ts';

/**
 * A tfjs Layers zoo model (ResNet-8 with projection shortcuts and BN) reaches the engine through
 * exportLayersToOnnx; its gradient, mapped back through the exporter's layout gathers, must equal
 * the tfjs first-order gradient in the tfjs flat layout. The classifier is switched to logits
 * (linear) so that both engines compute the same cross-entropy.
 */
describe('autodiff on a tfjs Layers model', () => {
  it('equals the tfjs gradient in the tfjs flat layout', async () => {
    await initTfjs();
    const built = resnet({ depth: 8, skip: true, inputShape: [8, 8, 2], classes: 4, seed: 3 });
    const files = await saveLayersModel(built);
    built.dispose();
    const json = JSON.parse(new TextDecoder().decode(files['model.json']));
    const topology = json.modelTopology.model_config ?? json.modelTopology;
    const classifier = topology.config.layers.find((l: { name: string }) => l.name === 'classifier');
    classifier.config.activation = 'linear';
    // Moving statistics away from 0/1, so that BN in inference mode is not the identity.
    const weights = new Float32Array(files['weights.bin'].slice().buffer);
    const artifact = layersModelArtifact({ 'model.json': new TextEncoder().encode(JSON.stringify(json)), 'weights.bin': new Uint8Array(weights.buffer) }, 'resnet8');
    for (const p of artifact.parameters) {
      const shift = values(p.size, p.offset + 1, 0.2);
      if (p.role === 'bn_moving_mean' || p.role === 'bn_beta') for (let i = 0; i < p.size; i++) weights[p.offset + i] = shift[i]!;
      if (p.role === 'bn_moving_variance' || p.role === 'bn_gamma') for (let i = 0; i < p.size; i++) weights[p.offset + i] = 1 + shift[i]!;
    }
    artifact.files['weights.bin'] = new Uint8Array(weights.buffer);
    expect(artifact.outputActivation).toBe('linear');
    const n = 12;
    const data: EvalData = { x: Float32Array.from(values(n * 8 * 8 * 2, 5, 1.5)), inputShape: [8, 8, 2], y: Int32Array.from({ length: n }, (_, i) => i % 4), n };

    const model = await loadLayersModel(artifact);
    const reference = createGradientEvaluator(model, data, { loss: 'sparse_categorical_crossentropy', outputActivation: 'linear', params: artifact.parameters, batchSize: 5 });
    const engine = await createGradientEngine(artifact, { parameters: 'trainable', batchNorm: 'moving', loss: 'sparse_categorical_crossentropy', batchSize: 5 });
    try {
      const expected = await reference.lossAndGradient(weights);
      await engine.setData(data);
      const got = await engine.lossAndGradient(weights);
      expect(Math.abs(got.loss - expected.loss) / expected.loss).toBeLessThan(1e-5);
      expect(relativeError(got.gradient, expected.gradient)).toBeLessThan(1e-4);
      // Every tfjs-trainable entry is differentiated, nothing else.
      for (const p of artifact.parameters) expect(engine.mask[p.offset]).toBe(p.trainable ? 1 : 0);
    } finally {
      reference.dispose();
      await engine.dispose();
      model.dispose();
      tf.disposeVariables();
    }
  });
});
