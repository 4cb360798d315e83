import * as tf from '../engine/tfjs/tf.ts';
import { beforeAll, describe, expect, it } from 'vitest';
import { Value } from 'typebox/value';
import { GradientFlow } from '../../contract/metrics/gradient-flow.ts';
import type { EvalData } from '../engine/evaluator.ts';
import { initTfjs } from '../engine/tfjs/backend.ts';
import { storedModel } from '../hessian/test-models.ts';
import { gaussianStream } from '../numeric/rng.ts';
import { gradientFlowOfArtifact } from './gradient-flow.ts';

beforeAll(async () => {
  await initTfjs();
});

const WIDTH = 16;
const DEPTH = 24;
const INPUTS = 8;

/**
 * A deep sigmoid MLP (the textbook vanishing-gradient case: σ′ ≤ 1/4 shrinks every backward step);
 * with skip, each hidden layer is a residual block h ← h + σ(W·h + b). Seeded: both twins get the same weights.
 */
function deepMlp(skip: boolean): tf.LayersModel {
  const input = tf.input({ shape: [INPUTS] });
  const dense = (units: number, seed: number, activation: 'sigmoid' | 'linear') =>
    tf.layers.dense({ units, activation, kernelInitializer: tf.initializers.glorotUniform({ seed }) });
  let h = dense(WIDTH, 1, 'sigmoid').apply(input) as tf.SymbolicTensor;
  for (let layer = 0; layer < DEPTH; layer++) {
    const f = dense(WIDTH, 100 + layer, 'sigmoid').apply(h) as tf.SymbolicTensor;
    h = skip ? (tf.layers.add().apply([h, f]) as tf.SymbolicTensor) : f;
  }
  const output = dense(3, 999, 'linear').apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output });
}

describe('gradient flow at initialisation', () => {
  it('vanishes toward the input without skips and not with them', async () => {
    const normal = gaussianStream(8);
    const n = 96;
    const data: EvalData = { x: Float32Array.from({ length: n * INPUTS }, () => normal()), inputShape: [INPUTS], y: Int32Array.from({ length: n }, (_, i) => i % 3), n };
    const flows = [];
    for (const skip of [false, true]) {
      const { artifact, model, theta } = await storedModel(deepMlp(skip));
      model.dispose();
      flows.push(await gradientFlowOfArtifact(artifact, data, { loss: 'sparse_categorical_crossentropy', label: skip ? 'residual' : 'plain', flat: theta }));
    }
    const [plain, residual] = flows as [GradientFlow, GradientFlow];
    for (const flow of flows) {
      expect(Value.Check(GradientFlow, flow)).toBe(true);
      expect(flow.layers.map((l) => l.index)).toEqual(Array.from({ length: DEPTH + 2 }, (_, i) => i));
      expect(flow.layers[0]!.size).toBe(INPUTS * WIDTH);
      expect(flow.layers[DEPTH + 1]!.size).toBe(WIDTH * 3);
    }
    // Identical weights, so the only difference is the skips.
    expect(plain.layers[0]!.norm).toBeLessThan(residual.layers[0]!.norm);
    expect(plain.firstToLast!).toBeLessThan(residual.firstToLast!);
    // Plain: the first hidden layer gets a vanishing fraction of the last one's (measured ≈ 1e-15).
    const plainHidden = plain.layers.slice(1, DEPTH + 1).map((l) => l.rms);
    expect(plainHidden[0]!).toBeLessThan(1e-3 * plainHidden[DEPTH - 1]!);
  });
});
