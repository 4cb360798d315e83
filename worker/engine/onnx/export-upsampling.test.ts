import * as tf from '../tfjs/tf.ts';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixedNumbers } from '../../../test/engine-helpers.ts';
import { initTfjs } from '../tfjs/backend.ts';
import { saveLayersModel } from '../tfjs/save-model.ts';
import { unet } from '../../zoo/unet.ts';
import { exportLayersToOnnx } from './export-layers.ts';

/**
 * The layers a U-Net upsamples with, exported to ONNX and run by onnxruntime, against tfjs' own
 * forward pass on the same weights and inputs (two independent implementations of each layer).
 */

beforeAll(async () => {
  await initTfjs();
});

/** Random weights everywhere; BN variances positive and away from 1 so every BN term matters. */
function randomize(model: tf.LayersModel): void {
  model.setWeights(
    model.weights.map((w, k) => {
      const values = fixedNumbers(w.shape.reduce<number>((n, d) => n * (d ?? 1), 1), 300 + k);
      return tf.tensor(w.name.includes('moving_variance') ? values.map((v) => 0.5 + Math.abs(v)) : values.map((v) => 0.5 * v), w.shape as number[]);
    }),
  );
}

/** Both engines' outputs on `n` fixed inputs; returns max |onnx − tfjs| / max |tfjs|. */
async function relativeGap(model: tf.LayersModel, n = 3): Promise<{ gap: number; onnxShape: readonly number[]; tfjsShape: number[] }> {
  const sample = model.inputs[0]!.shape.slice(1) as number[];
  const x = fixedNumbers(n * sample.reduce((a, b) => a * b, 1), 77);
  const expected = tf.tidy(() => model.predict(tf.tensor(x, [n, ...sample])) as tf.Tensor);
  const files = await saveLayersModel(model);
  const bytes = files['weights.bin'];
  const theta = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const exported = exportLayersToOnnx(JSON.parse(new TextDecoder().decode(files['model.json'])), theta);
  const session = await ort.InferenceSession.create(exported.model);
  try {
    const result = await session.run({ [exported.inputName]: new ort.Tensor('float32', x, [n, ...sample]) });
    const actual = result[exported.outputName]!;
    const want = expected.dataSync();
    const got = actual.data as Float32Array;
    let gap = 0;
    let scale = 0;
    for (let i = 0; i < want.length; i++) {
      gap = Math.max(gap, Math.abs(got[i]! - want[i]!));
      scale = Math.max(scale, Math.abs(want[i]!));
    }
    expect(scale).toBeGreaterThan(0);
    return { gap: gap / scale, onnxShape: actual.dims, tfjsShape: expected.shape };
  } finally {
    expected.dispose();
    await session.release();
  }
}

function single(layer: tf.layers.Layer, inputShape: number[]): tf.LayersModel {
  const input = tf.input({ shape: inputShape });
  const model = tf.model({ inputs: input, outputs: layer.apply(input) as tf.SymbolicTensor });
  randomize(model);
  return model;
}

describe('ONNX export of upsampling layers', () => {
  // Kernel ≥ stride and kernel < stride, even and odd overhang, odd image sides, both paddings.
  const cases = [
    { kernelSize: 2, strides: 2 }, { kernelSize: 3, strides: 2 }, { kernelSize: 4, strides: 2 },
    { kernelSize: 2, strides: 3 }, { kernelSize: [3, 1], strides: [1, 2] },
  ] as const;
  for (const padding of ['same', 'valid'] as const) {
    it.each(cases.map((c) => [JSON.stringify(c), c] as const))(`Conv2DTranspose ${padding} %s → ConvTranspose, same shape and values`, async (_label, c) => {
      const model = single(
        tf.layers.conv2dTranspose({ filters: 3, kernelSize: c.kernelSize as number | number[], strides: c.strides as number | number[], padding, activation: 'relu' }),
        [5, 4, 2],
      );
      try {
        const { gap, onnxShape, tfjsShape } = await relativeGap(model);
        expect([...onnxShape]).toEqual(tfjsShape);
        expect(gap).toBeLessThanOrEqual(1e-5);
      } finally {
        model.dispose();
      }
    });
  }

  it.each(['nearest', 'bilinear'] as const)('UpSampling2D %s (2×3) → Resize, same shape and values', async (interpolation) => {
    const model = single(tf.layers.upSampling2d({ size: [2, 3], interpolation }), [3, 5, 2]);
    try {
      const { gap, onnxShape, tfjsShape } = await relativeGap(model);
      expect([...onnxShape]).toEqual([3, 6, 15, 2]);
      expect(tfjsShape).toEqual([3, 6, 15, 2]);
      expect(gap).toBeLessThanOrEqual(1e-5);
    } finally {
      model.dispose();
    }
  });

  it.each(['concat', 'add', 'none'] as const)('a U-Net with skips=%s gives the same per-pixel logits on onnxruntime as on tfjs (1e-5 relative)', async (skips) => {
    const model = unet({ depth: 2, skips, inputShape: [12, 8, 1], classes: 3, width: 0.25, seed: 1 });
    randomize(model);
    try {
      const { gap, onnxShape } = await relativeGap(model, 4);
      expect([...onnxShape]).toEqual([4, 12, 8, 3]);
      expect(gap).toBeLessThanOrEqual(1e-5);
    } finally {
      model.dispose();
    }
  });
});
