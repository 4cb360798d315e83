import * as tf from '../engine/tfjs/tf.ts';
import { beforeAll, describe, expect, it } from 'vitest';
import { initTfjs } from '../engine/tfjs/backend.ts';
import { layersModelArtifact } from '../engine/tfjs/artifact.ts';
import { saveLayersModel } from '../engine/tfjs/save-model.ts';
import { movingStatistics, updateMovingStatistics } from './moving-statistics.ts';

beforeAll(async () => {
  await initTfjs();
});

describe('updateMovingStatistics', () => {
  it('equals tfjs BatchNormalization’s own running update in training mode, given the float64 batch mean and biased variance', async () => {
    const input = tf.input({ shape: [3, 2] });
    const bn = tf.layers.batchNormalization({ name: 'bn', momentum: 0.8, epsilon: 1e-5 });
    const model = tf.model({ inputs: input, outputs: bn.apply(input) as tf.SymbolicTensor });
    // Moving statistics away from their 0/1 start so the update's both terms matter.
    const [gamma, beta] = bn.getWeights();
    bn.setWeights([gamma!, beta!, tf.tensor1d([0.5, -0.25]), tf.tensor1d([2, 0.75])]);
    const artifact = layersModelArtifact(await saveLayersModel(model), 'bn');
    const statistics = movingStatistics(artifact);
    expect(statistics.map((s) => s.momentum)).toEqual([0.8, 0.8]);

    const x = Array.from({ length: 4 * 3 * 2 }, (_, i) => Math.sin(1.7 * i) * 3 + (i % 2));
    // Per channel (last axis) over batch and rows: mean and biased variance in float64.
    const batch = new Float32Array(artifact.parameters.reduce((n, p) => n + p.size, 0));
    const mean = [0, 1].map((c) => x.filter((_, i) => i % 2 === c).reduce((a, b) => a + b, 0) / 12);
    const variance = [0, 1].map((c) => x.filter((_, i) => i % 2 === c).reduce((a, b) => a + (b - mean[c]!) ** 2, 0) / 12);
    const [meanInfo, varianceInfo] = [statistics[0]!, statistics[1]!];
    batch.set(mean, meanInfo.offset);
    batch.set(variance, varianceInfo.offset);
    const theta = new Float32Array((await saveLayersModel(model))['weights.bin'].slice().buffer);
    updateMovingStatistics(theta, batch, statistics);

    tf.tidy(() => void model.apply(tf.tensor3d(x, [4, 3, 2]), { training: true }));
    const after = bn.getWeights().slice(2).map((w) => Array.from(w.dataSync()));
    const ours = [Array.from(theta.subarray(meanInfo.offset, meanInfo.offset + 2)), Array.from(theta.subarray(varianceInfo.offset, varianceInfo.offset + 2))];
    for (let k = 0; k < 2; k++) for (let c = 0; c < 2; c++) expect(Math.abs(ours[k]![c]! - after[k]![c]!)).toBeLessThan(1e-6);
    // Not the start values: the update happened in both.
    expect(after[0]![0]).not.toBeCloseTo(0.5, 3);
    model.dispose();
  });
});
