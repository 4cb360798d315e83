import * as tf from './tf.ts';
import { beforeAll, describe, expect, it } from 'vitest';
import { initTfjs } from './backend.ts';
import { logitsTopology, logitsTwin } from './logits.ts';

beforeAll(async () => {
  await initTfjs();
});

function lastLayer(topology: unknown): { class_name: string; config: Record<string, unknown> } {
  const layers = (topology as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } }).config.layers;
  return layers[layers.length - 1]!;
}

describe('logitsTopology', () => {
  it('turns a final softmax Dense (before a Dropout) linear, a Softmax layer into an identity, and leaves the original untouched', () => {
    const dense = tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [2], activation: 'softmax' }), tf.layers.dropout({ rate: 0.5 })] });
    const original = dense.toJSON(null, false);
    const rewritten = logitsTopology(original);
    expect(rewritten.stripped).toBe('softmax');
    const layers = (rewritten.topology as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } }).config.layers;
    expect(layers[0]!.config.activation).toBe('linear');
    expect((original as { config: { layers: { config: Record<string, unknown> }[] } }).config.layers[0]!.config.activation).toBe('softmax');

    const layer = tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [2] }), tf.layers.softmax()] });
    const stripped = logitsTopology(layer.toJSON(null, false));
    expect(stripped.stripped).toBe('softmax');
    expect(lastLayer(stripped.topology)).toMatchObject({ class_name: 'Activation', config: { activation: 'linear' } });

    const sigmoid = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2], activation: 'sigmoid' })] });
    expect(logitsTopology(sigmoid.toJSON(null, false)).stripped).toBe('sigmoid');
    const linear = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [2], activation: 'tanh' })] });
    expect(logitsTopology(linear.toJSON(null, false)).stripped).toBeNull();
    tf.dispose([dense, layer, sigmoid, linear].flatMap((m) => m.weights.map((w) => w.read())));
  });

  it('builds a twin with the same weights whose outputs are the pre-softmax values', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [2], activation: 'softmax', kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }), biasInitializer: 'ones' })] });
    const twin = await logitsTwin(model);
    const x = tf.tensor2d([[1, -2], [30, 40]]);
    const [kernel, bias] = model.getWeights();
    const expected = tf.add(tf.matMul(x, kernel!), bias!);
    expect(Array.from((twin.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from(expected.dataSync()));
    const probabilities = (model.predict(x) as tf.Tensor).dataSync();
    expect(probabilities[0]! + probabilities[1]! + probabilities[2]!).toBeCloseTo(1, 6);
    twin.dispose();
    model.dispose();
  });
});
