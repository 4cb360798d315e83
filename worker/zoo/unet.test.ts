import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../engine/tfjs/tf.ts';
import { architectureShape, checkArchitectureInput, checkArchitectureTask, parameterCount, type UnetSkips } from '../../contract/architectures.ts';
import { initTfjs } from '../engine/tfjs/backend.ts';
import { buildArchitecture } from './index.ts';
import { unet } from './unet.ts';

beforeAll(async () => {
  await initTfjs();
});

const MODES: UnetSkips[] = ['concat', 'add', 'none'];

function build(skips: UnetSkips, depth = 2, width = 0.5, inputShape: [number, number, number] = [28, 28, 1], classes = 2): tf.LayersModel {
  return unet({ depth, skips, inputShape, classes, width, seed: 7 });
}

describe('U-Net', () => {
  it.each(MODES)('skips=%s maps [b, h, w, c] images to per-pixel logits of the image size', (skips) => {
    const binary = build(skips);
    const multi = build(skips, 3, 0.25, [32, 32, 1], 4);
    try {
      expect(binary.outputs[0]!.shape).toEqual([null, 28, 28, 1]);
      expect(multi.outputs[0]!.shape).toEqual([null, 32, 32, 4]);
      const y = tf.tidy(() => multi.predict(tf.randomUniform([3, 32, 32, 1], 0, 1, 'float32', 2)) as tf.Tensor);
      expect(y.shape).toEqual([3, 32, 32, 4]);
      // Logits, not probabilities: the head has no activation, so values leave [0, 1].
      const values = y.dataSync();
      expect(values.some((v) => v < 0)).toBe(true);
      y.dispose();
      expect(multi.getLayer('head').getConfig().activation).toBe('linear');
    } finally {
      binary.dispose();
      multi.dispose();
    }
  });

  it('removing the long skips removes only the merge layers; concatenation changes only the first decoder conv of each level', () => {
    const [concat, add, none] = MODES.map((skips) => build(skips, 2, 0.5));
    try {
      const structure = (m: tf.LayersModel, drop: string) => m.layers.filter((l) => l.getClassName() !== drop).map((l) => [l.name, l.getClassName()]);
      expect(concat.layers.filter((l) => l.getClassName() === 'Concatenate').map((l) => l.name)).toEqual(['dec1_concat', 'dec0_concat']);
      expect(add.layers.filter((l) => l.getClassName() === 'Add').map((l) => l.name)).toEqual(['dec1_add', 'dec0_add']);
      expect(structure(concat, 'Concatenate')).toEqual(structure(none, ''));
      expect(structure(add, 'Add')).toEqual(structure(none, ''));

      // Channels at width 0.5: c0 = 8, c1 = 16 (bottleneck c2 = 32). Every weight has the same shape in
      // all three modes except dec{l}_conv1's kernel, whose input channels double with concatenation.
      for (const layer of none.layers) {
        const shapes = (m: tf.LayersModel) => m.getLayer(layer.name).getWeights().map((w) => w.shape);
        expect(shapes(add)).toEqual(shapes(none));
        if (layer.name === 'dec1_conv1') expect(shapes(concat)).toEqual([[3, 3, 32, 16]]);
        else if (layer.name === 'dec0_conv1') expect(shapes(concat)).toEqual([[3, 3, 16, 8]]);
        else expect(shapes(concat)).toEqual(shapes(none));
      }
      expect(none.getLayer('dec1_conv1').getWeights()[0]!.shape).toEqual([3, 3, 16, 16]);
      expect(add.countParams()).toBe(none.countParams());
      expect(concat.countParams() - none.countParams()).toBe(9 * 16 * 16 + 9 * 8 * 8);

      // Initializers follow layer names: every weight of equal shape starts equal in all modes.
      for (const layer of none.layers) {
        if (layer.name.endsWith('_conv1') && layer.name.startsWith('dec')) continue;
        const a = layer.getWeights().map((w) => Array.from(w.dataSync()));
        expect(concat.getLayer(layer.name).getWeights().map((w) => Array.from(w.dataSync()))).toEqual(a);
        expect(add.getLayer(layer.name).getWeights().map((w) => Array.from(w.dataSync()))).toEqual(a);
      }
    } finally {
      for (const m of [concat, add, none]) m!.dispose();
    }
  });

  it('the contract counts parameters as tfjs does for every mode, depth and width', () => {
    for (const skips of MODES) {
      for (const [depth, width, inputShape, classes] of [[1, 1, [28, 28, 1], 2], [2, 0.5, [28, 28, 1], 2], [3, 0.25, [32, 32, 3], 4]] as const) {
        const model = buildArchitecture({ id: 'unet', skips, depth, width }, { inputShape: [...inputShape], classes });
        try {
          const shape = architectureShape({ id: 'unet', skips, depth });
          const counted = parameterCount(shape, [...inputShape], classes, width);
          expect(model.countParams()).toBe(counted.total);
          const trainable = model.trainableWeights.reduce((n, w) => n + w.shape.reduce<number>((a, b) => a * (b ?? 1), 1), 0);
          expect(trainable).toBe(counted.trainable);
        } finally {
          model.dispose();
        }
      }
    }
  });

  it('without long skips no decoder layer reads an encoder block; with them each level reads its own', () => {
    const decoderReads = (m: tf.LayersModel) =>
      m.layers.filter((l) => l.name.startsWith('dec')).flatMap((l) => l.inboundNodes.flatMap((n) => n.inboundLayers.map((i) => `${l.name}<${i.name}`)));
    const [concat, none] = [build('concat'), build('none')];
    try {
      expect(decoderReads(none).filter((r) => r.includes('<enc'))).toEqual([]);
      expect(decoderReads(concat).filter((r) => r.includes('<enc'))).toEqual(['dec1_concat<enc1_relu2', 'dec0_concat<enc0_relu2']);
    } finally {
      concat.dispose();
      none.dispose();
    }
  });

  it('rejects options and inputs that do not fit, naming the field', () => {
    expect(() => checkArchitectureInput({ id: 'unet', depth: 3 }, [28, 28, 1])).toThrow(/architecture\.depth.*divisible by 8.*28, 28, 1/);
    expect(() => checkArchitectureInput({ id: 'unet' }, [2])).toThrow(/architecture\.id/);
    expect(() => architectureShape({ id: 'resnet20', skips: 'none' })).toThrow(/architecture\.skips/);
    expect(() => architectureShape({ id: 'plain-cnn', depth: 2 })).toThrow(/architecture\.depth/);
    expect(() => checkArchitectureTask({ id: 'unet' }, { id: 'mnist', task: 'classification' })).toThrow(/unet.*segmentation.*"mnist".*classification/);
    expect(() => checkArchitectureTask({ id: 'resnet20' }, { id: 'shapes', task: 'segmentation' })).toThrow(/architecture\.id/);
  });
});
