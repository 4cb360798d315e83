import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../worker/engine/tfjs/tf.ts';
import { ARCHITECTURES, architectureById, parameterCount, pixelOutputChannels } from '../contract/architectures.ts';
import { initTfjs } from '../worker/engine/tfjs/backend.ts';
import { buildArchitecture, resnet } from '../worker/zoo/index.ts';

beforeAll(async () => {
  await initTfjs();
});

function trainableCount(model: tf.LayersModel): number {
  return model.trainableWeights.reduce((n, w) => n + w.shape.reduce<number>((a, b) => a * (b ?? 1), 1), 0);
}

function withModel<T>(model: tf.LayersModel, use: (m: tf.LayersModel) => T): T {
  try {
    return use(model);
  } finally {
    model.dispose();
  }
}

describe('ResNet', () => {
  it('ResNet-20 for CIFAR has 272,474 trainable parameters (≈ 0.27 M, He et al.), option-B projections included', () => {
    withModel(resnet({ depth: 20, skip: true, inputShape: [32, 32, 3], classes: 10 }), (model) => {
      // stem 432 + 32 (BN γβ); stage 1: 3 blocks × (2·2304 + 2·32); stage 2: 4608 + 9216·5 + 512 (1×1 projection) + 64·7;
      // stage 3: 18432 + 36864·5 + 2048 + 128·7; classifier 650.
      expect(trainableCount(model)).toBe(272474);
      expect(Math.abs(trainableCount(model) - 270000) / 270000).toBeLessThan(0.01);
      // BN moving statistics: 2 per channel of each of the 21 BN layers.
      expect(model.countParams()).toBe(272474 + 2 * (16 + 16 * 6 + 32 * 7 + 64 * 7));
    });
  });

  it('skip=false has exactly the same layers minus the additions and the projection shortcuts', () => {
    const withSkip = resnet({ depth: 20, skip: true, inputShape: [28, 28, 1], classes: 10, seed: 3 });
    const without = resnet({ depth: 20, skip: false, inputShape: [28, 28, 1], classes: 10, seed: 3 });
    try {
      const removed = withSkip.layers.filter((l) => l.getClassName() === 'Add' || l.name.includes('shortcut'));
      expect(removed.filter((l) => l.getClassName() === 'Add')).toHaveLength(9);
      expect(removed.map((l) => l.name).filter((n) => n.includes('shortcut')).sort()).toEqual(
        ['stage2_block1_shortcut_bn', 'stage2_block1_shortcut_conv', 'stage3_block1_shortcut_bn', 'stage3_block1_shortcut_conv'],
      );
      const kept = withSkip.layers.filter((l) => !removed.includes(l));
      expect(without.layers.map((l) => [l.name, l.getClassName()])).toEqual(kept.map((l) => [l.name, l.getClassName()]));
      expect(without.layers.some((l) => l.getClassName() === 'Add')).toBe(false);

      const projectionParameters = removed.reduce((n, l) => n + l.countParams(), 0);
      expect(projectionParameters).toBe(16 * 32 + 4 * 32 + 32 * 64 + 4 * 64);
      expect(without.countParams()).toBe(withSkip.countParams() - projectionParameters);

      // Same seed → every shared layer starts from the same weights (seeds follow layer names).
      for (const layer of without.layers) {
        const twin = withSkip.getLayer(layer.name);
        const a = layer.getWeights();
        const b = twin.getWeights();
        expect(a.length).toBe(b.length);
        a.forEach((w, k) => expect(Array.from(w.dataSync())).toEqual(Array.from(b[k]!.dataSync())));
      }
    } finally {
      withSkip.dispose();
      without.dispose();
    }
  });

  it('names layers by stage and block and maps MNIST images to class probabilities', () => {
    withModel(resnet({ depth: 8, skip: true, inputShape: [28, 28, 1], classes: 10, width: 0.5 }), (model) => {
      expect(model.layers.map((l) => l.name)).toContain('stage3_block1_conv2');
      expect(model.getLayer('stage3_block1_conv2').getWeights()[0]!.shape).toEqual([3, 3, 32, 32]);
      const probabilities = tf.tidy(() => model.predict(tf.randomUniform([2, 28, 28, 1], 0, 1, 'float32', 1)) as tf.Tensor);
      expect(probabilities.shape).toEqual([2, 10]);
      const sums = tf.tidy(() => tf.sum(probabilities, 1).arraySync() as number[]);
      sums.forEach((s) => expect(s).toBeCloseTo(1, 5));
      probabilities.dispose();
    });
  });

  it('rejects depths that are not 6n + 2, naming the field', () => {
    expect(() => resnet({ depth: 18, skip: true, inputShape: [28, 28, 1], classes: 10 })).toThrow(/architecture\.depth/);
  });

  it('same seed → same initial weights; another seed → different ones', () => {
    const weightsOf = (seed: number) =>
      withModel(resnet({ depth: 8, skip: true, inputShape: [28, 28, 1], classes: 10, seed }), (m) => Array.from(m.getLayer('stem_conv').getWeights()[0]!.dataSync()));
    expect(weightsOf(5)).toEqual(weightsOf(5));
    expect(weightsOf(5)).not.toEqual(weightsOf(6));
  });
});

describe('architecture catalog', () => {
  const shallow = ARCHITECTURES.filter((a) => a.family !== 'resnet' || a.depth <= 56);
  it.each(shallow.map((a) => [a.id, a] as const))('%s: built model matches the static parameter counts', (_id, info) => {
    for (const { inputShape, classes, trainable, total } of info.parameterCounts) {
      withModel(buildArchitecture({ id: info.id }, { inputShape, classes }), (model) => {
        expect(trainableCount(model)).toBe(trainable);
        expect(model.countParams()).toBe(total);
        const perPixel = info.task === 'segmentation' ? [inputShape[0], inputShape[1], pixelOutputChannels(classes)] : [classes];
        expect(model.outputs[0]!.shape).toEqual([null, ...perPixel]);
      });
    }
  });

  it('counts scale with the width multiplier the same way in contract and model', () => {
    for (const id of ['resnet8', 'plain-cnn', 'mlp-res']) {
      const { info, shape } = architectureById(id);
      const { inputShape, classes } = info.parameterCounts[0]!;
      withModel(buildArchitecture({ id, width: 0.5 }, { inputShape, classes }), (model) => {
        expect(model.countParams()).toBe(parameterCount(shape, inputShape, classes, 0.5).total);
      });
    }
  });

  it('ResNet-110 count comes from the same formula (1.7 M, He et al.)', () => {
    const cifar = ARCHITECTURES.find((a) => a.id === 'resnet110')!.parameterCounts.find((c) => c.inputShape[2] === 3)!;
    expect(cifar.trainable / 1e6).toBeCloseTo(1.73, 1);
  });

  it('mlp and mlp-res differ only by the additions', () => {
    const plain = buildArchitecture({ id: 'mlp' }, { inputShape: [2], classes: 2, seed: 1 });
    const residual = buildArchitecture({ id: 'mlp-res' }, { inputShape: [2], classes: 2, seed: 1 });
    try {
      expect(residual.layers.filter((l) => l.getClassName() !== 'Add').map((l) => l.name)).toEqual(plain.layers.map((l) => l.name));
      expect(residual.countParams()).toBe(plain.countParams());
    } finally {
      plain.dispose();
      residual.dispose();
    }
  });

  it('densenet-small-noskip is densenet-small without its concatenations: same layers in the same order, each conv fed 12 channels', () => {
    const dense = buildArchitecture({ id: 'densenet-small' }, { inputShape: [28, 28, 1], classes: 10, seed: 1 });
    const plain = buildArchitecture({ id: 'densenet-small-noskip' }, { inputShape: [28, 28, 1], classes: 10, seed: 1 });
    try {
      const concatenations = dense.layers.filter((l) => l.getClassName() === 'Concatenate');
      expect(concatenations).toHaveLength(12);
      expect(plain.layers.map((l) => [l.name, l.getClassName()])).toEqual(
        dense.layers.filter((l) => !concatenations.includes(l)).map((l) => [l.name, l.getClassName()]),
      );
      const inputChannels = (model: tf.LayersModel, name: string) => model.getLayer(name).getWeights()[0]!.shape[2];
      // The dense net's block-1 layer 3 sees the stem's 24 channels plus two layers' 12; the plain chain sees its predecessor's 12.
      expect(inputChannels(dense, 'block1_layer3_conv')).toBe(24 + 2 * 12);
      expect(inputChannels(plain, 'block1_layer3_conv')).toBe(12);
      // Transitions keep the dense net's output widths: ⌊(24 + 4·12)·0.5⌋ = 36, then ⌊(36 + 48)·0.5⌋ = 42.
      for (const model of [dense, plain]) {
        expect(model.getLayer('transition1_conv').getWeights()[0]!.shape[3]).toBe(36);
        expect(model.getLayer('transition2_conv').getWeights()[0]!.shape[3]).toBe(42);
      }
      // Same seed: the layers whose shapes agree start from the same weights.
      expect(Array.from(plain.getLayer('block1_layer1_conv').getWeights()[0]!.dataSync())).toEqual(
        Array.from(dense.getLayer('block1_layer1_conv').getWeights()[0]!.dataSync()),
      );
    } finally {
      dense.dispose();
      plain.dispose();
    }
  });

  it('rejects unknown ids and mismatched inputs naming the field', () => {
    expect(() => buildArchitecture({ id: 'vgg' }, { inputShape: [2], classes: 2 })).toThrow(/architecture\.id/);
    expect(() => buildArchitecture({ id: 'resnet20' }, { inputShape: [2], classes: 2 })).toThrow(/image samples/);
  });
});
