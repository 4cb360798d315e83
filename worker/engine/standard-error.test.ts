import * as tf from './tfjs/tf.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LossName } from '../../contract/index.ts';
import { fixedNumbers } from '../../test/engine-helpers.ts';
import { builtinDataset } from '../datasets/builtin.ts';
import { evaluationData } from '../datasets/select.ts';
import { unet } from '../zoo/unet.ts';
import type { EvalData, Evaluator, ModelArtifact } from './evaluator.ts';
import { OnnxEvaluator } from './onnx/evaluator.ts';
import { layersModelArtifact } from './tfjs/artifact.ts';
import { initTfjs } from './tfjs/backend.ts';
import { TfjsEvaluator } from './tfjs/evaluator.ts';
import { saveLayersModel } from './tfjs/save-model.ts';

/**
 * EvalResult.lossStdError of both engines against a direct float64 computation from per-sample
 * losses obtained independently: each sample evaluated on its own (n = 1), then the two-pass
 * unbiased variance s² = Σ (ℓ_i − mean)² / (n − 1) and sqrt(s² / n).
 */

const SAMPLES = 24;

beforeAll(async () => {
  await initTfjs();
});

function classifier(): tf.LayersModel {
  return tf.sequential({
    name: 'se-classifier',
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 4, kernelSize: 3, strides: 2, activation: 'relu', kernelInitializer: tf.initializers.glorotNormal({ seed: 5 }) }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotNormal({ seed: 6 }) }),
    ],
  });
}

function sample(data: EvalData, i: number): EvalData {
  const size = data.x.length / data.n;
  const targets = data.y.length / data.n;
  return { x: data.x.slice(i * size, (i + 1) * size), inputShape: data.inputShape, y: data.y.slice(i * targets, (i + 1) * targets), n: 1 };
}

function directStdError(losses: number[]): { mean: number; stdError: number } {
  const n = losses.length;
  const mean = losses.reduce((s, l) => s + l, 0) / n;
  const variance = losses.reduce((s, l) => s + (l - mean) ** 2, 0) / (n - 1);
  return { mean, stdError: Math.sqrt(variance / n) };
}

const cases: { name: string; loss: LossName; artifact: () => Promise<ModelArtifact>; data: () => EvalData }[] = [
  {
    name: 'a conv classifier on mnist (cross-entropy)',
    loss: 'sparse_categorical_crossentropy',
    artifact: async () => {
      const model = classifier();
      const artifact = layersModelArtifact(await saveLayersModel(model), 'se-classifier');
      model.dispose();
      return artifact;
    },
    data: () => evaluationData(builtinDataset('mnist'), 'test', SAMPLES, 2).data,
  },
  {
    name: 'a U-Net on mnist-seg (per-pixel BCE: a sample\'s loss is its mean over pixels)',
    loss: 'binary_crossentropy',
    artifact: async () => {
      const model = unet({ depth: 1, skips: 'concat', inputShape: [28, 28, 1], classes: 2, width: 0.25, seed: 3 });
      const artifact = layersModelArtifact(await saveLayersModel(model), 'se-unet');
      model.dispose();
      return artifact;
    },
    data: () => evaluationData(builtinDataset('mnist-seg'), 'test', SAMPLES, 2).data,
  },
];

describe.each(cases)('lossStdError on $name', ({ loss, artifact: makeArtifact, data: makeData }) => {
  const evaluators: Evaluator[] = [];
  afterAll(() => evaluators.forEach((e) => e.dispose()));

  it.each(['tfjs', 'onnx'] as const)('%s: equals sqrt(s²/n) of the per-sample losses evaluated one by one, at θ and at a perturbed θ', async (engine) => {
    const evaluator: Evaluator = engine === 'tfjs' ? await TfjsEvaluator.create() : await OnnxEvaluator.create();
    evaluators.push(evaluator);
    const artifact = await makeArtifact();
    const data = makeData();
    await evaluator.load(artifact);
    const theta = evaluator.storedParameters();
    const direction = fixedNumbers(theta.length, 4);
    const moving = (i: number) => artifact.parameters.some((p) => p.role === 'bn_moving_variance' && i >= p.offset && i < p.offset + p.size);
    for (const alpha of [0, 0.5]) {
      const point = theta.map((t, i) => (moving(i) ? t : t + alpha * direction[i]! * (Math.abs(t) + 0.01)));
      await evaluator.setParameters(point);
      const perSample: number[] = [];
      for (let i = 0; i < data.n; i++) {
        await evaluator.setData(sample(data, i));
        const single = await evaluator.evaluate({ loss });
        expect(single.lossStdError).toBeNull();
        perSample.push(single.loss);
      }
      await evaluator.setData(data);
      const batched = await evaluator.evaluate({ loss, batchSize: 10 });
      const direct = directStdError(perSample);
      expect(direct.stdError).toBeGreaterThan(0);
      expect(Math.abs(batched.loss - direct.mean)).toBeLessThanOrEqual(1e-6 * direct.mean);
      expect(Math.abs(batched.lossStdError! - direct.stdError)).toBeLessThanOrEqual(1e-5 * direct.stdError);
    }
  });
});
