import { Type, type Static } from 'typebox';
import { ContractError } from './errors.ts';

/**
 * The architecture zoo as data: ids, families and parameter counts, computable without tfjs so the
 * API can list and validate architectures. worker/zoo builds the tfjs models; its tests check that
 * every count here equals the built model's.
 */

export const ArchitectureFamily = Type.Union([
  Type.Literal('resnet'), Type.Literal('densenet'), Type.Literal('plain-cnn'), Type.Literal('mlp'), Type.Literal('unet'),
]);
export type ArchitectureFamily = Static<typeof ArchitectureFamily>;

export const SkipKind = Type.Union([Type.Literal('residual'), Type.Literal('dense'), Type.Literal('long'), Type.Literal('none')], {
  description:
    'residual = additive shortcuts y = F(x) + x; dense = concatenation of all earlier feature maps; ' +
    'long = U-Net encoder features merged into the decoder at equal resolution; none = plain chain',
});
export type SkipKind = Static<typeof SkipKind>;

export const UnetSkips = Type.Union([Type.Literal('concat'), Type.Literal('add'), Type.Literal('none')], {
  description:
    'U-Net long skips (unet only): concat = encoder features concatenated to the upsampled decoder features (the first decoder conv of each level ' +
    'then takes twice the channels); add = added to them; none = removed, nothing else changed. Default concat',
});
export type UnetSkips = Static<typeof UnetSkips>;

/** U-Net defaults: 2 levels (downsamplings), long skips concatenated. */
export const UNET_DEFAULT_DEPTH = 2;
export const UNET_MAX_DEPTH = 4;
export const UNET_DEFAULT_SKIPS: UnetSkips = 'concat';
/** Channels of the first U-Net level at width 1; level l has base·2^l. */
export const UNET_BASE_CHANNELS = 16;

/** An architecture chosen by a request: a catalog id plus the knobs that may vary. */
export const ArchitectureSpec = Type.Object(
  {
    id: Type.String({ minLength: 1, description: 'Catalog id, e.g. resnet20, resnet20-noshort, densenet-small, plain-cnn, mlp, mlp-res' }),
    width: Type.Optional(
      Type.Number({ exclusiveMinimum: 0, maximum: 4, description: 'Channel / unit multiplier (resnet, plain-cnn, mlp, unet). Default 1' }),
    ),
    depth: Type.Optional(
      Type.Integer({
        minimum: 1, maximum: UNET_MAX_DEPTH,
        description: `U-Net levels: 2×2 downsamplings in the encoder, each undone by a 2×2 stride-2 transposed convolution in the decoder; image sides must be divisible by 2^depth (unet only; other ids carry their depth in the id). Default ${UNET_DEFAULT_DEPTH}`,
      }),
    ),
    skips: Type.Optional(UnetSkips),
  },
  { additionalProperties: false },
);
export type ArchitectureSpec = Static<typeof ArchitectureSpec>;

export const ParameterCount = Type.Object({
  inputShape: Type.Array(Type.Integer({ minimum: 1 })),
  classes: Type.Integer({ minimum: 2 }),
  trainable: Type.Integer({ description: 'Kernels, biases, BN γ/β' }),
  total: Type.Integer({ description: 'trainable + BN moving mean/variance' }),
});
export type ParameterCount = Static<typeof ParameterCount>;

export const ArchitectureInfo = Type.Object({
  id: Type.String(),
  name: Type.String(),
  family: ArchitectureFamily,
  description: Type.String(),
  depth: Type.Integer({ description: 'Weighted layers on the longest path (convolutions and dense layers, shortcuts not counted)' }),
  skip: Type.Boolean(),
  skipKind: SkipKind,
  /** Id of the same net with the shortcuts removed (or with them added), when the catalog has it. */
  pairedWith: Type.Union([Type.String(), Type.Null()]),
  input: Type.Union([Type.Literal('image'), Type.Literal('vector')], { description: 'image: [h, w, c] samples; vector: [d]' }),
  task: Type.Union([Type.Literal('classification'), Type.Literal('segmentation')], {
    description: 'classification: one softmax over classes per sample; segmentation: per-pixel logits [h, w, 1] (2 classes) or [h, w, classes]',
  }),
  datasets: Type.Array(Type.String(), { description: 'Built-in datasets it fits' }),
  parameterCounts: Type.Array(ParameterCount, { description: 'At width 1, for the listed input shapes and class counts' }),
});
export type ArchitectureInfo = Static<typeof ArchitectureInfo>;

export interface ResnetShape { family: 'resnet'; depth: number; skip: boolean }
/** dense false = the plain chain of the same depth: every concatenation removed, each conv fed its predecessor's output only. */
export interface DensenetShape { family: 'densenet'; growth: number; layersPerBlock: number; blocks: number; compression: number; dense: boolean }
export interface PlainCnnShape { family: 'plain-cnn' }
export interface MlpShape { family: 'mlp'; blocks: number; units: number; residual: boolean }
/** depth = levels (downsamplings); the bottleneck is level `depth`. */
export interface UnetShape { family: 'unet'; depth: number; skips: UnetSkips }
export type ArchitectureShape = ResnetShape | DensenetShape | PlainCnnShape | MlpShape | UnetShape;

/** Basic blocks per stage n of a depth 6n + 2 ResNet; ContractError otherwise. */
export function resnetBlocksPerStage(depth: number): number {
  if (!Number.isInteger(depth) || depth < 8 || (depth - 2) % 6 !== 0) {
    throw new ContractError('architecture.depth', `ResNet depth must be 6n + 2 with n ≥ 1 (8, 20, 56, 110, ...), got ${depth}`);
  }
  return (depth - 2) / 6;
}

/** Channels of a scaled layer: round(base · width), at least 1. */
export function scaledChannels(base: number, width: number): number {
  return Math.max(1, Math.round(base * width));
}

export function resnetStageChannels(width: number): [number, number, number] {
  return [scaledChannels(16, width), scaledChannels(32, width), scaledChannels(64, width)];
}

/** Channels of U-Net levels 0..depth (the last is the bottleneck): round(16·width)·2^l. */
export function unetLevelChannels(width: number, depth: number): number[] {
  const base = scaledChannels(UNET_BASE_CHANNELS, width);
  return Array.from({ length: depth + 1 }, (_, level) => base * 2 ** level);
}

/** Output channels of a per-pixel head: one logit for 2 classes (binary mask), else one per class. */
export function pixelOutputChannels(classes: number): number {
  return classes === 2 ? 1 : classes;
}

export const PLAIN_CNN_CHANNELS: readonly number[] = [16, 32, 64];

interface Count { trainable: number; state: number }
const batchNormCount = (channels: number): Count => ({ trainable: 2 * channels, state: 2 * channels });
const add = (...counts: Count[]): Count => counts.reduce((a, b) => ({ trainable: a.trainable + b.trainable, state: a.state + b.state }), { trainable: 0, state: 0 });
const weights = (n: number): Count => ({ trainable: n, state: 0 });

/** Exact parameter count of a zoo net (what tfjs countParams reports as trainable / total). */
export function parameterCount(shape: ArchitectureShape, inputShape: number[], classes: number, width = 1): { trainable: number; total: number } {
  const inChannels = inputShape[inputShape.length - 1]!;
  let count: Count;
  if (shape.family === 'resnet') {
    const n = resnetBlocksPerStage(shape.depth);
    const channels = resnetStageChannels(width);
    count = add(weights(9 * inChannels * channels[0]), batchNormCount(channels[0]));
    let cin = channels[0];
    channels.forEach((cout, stage) => {
      for (let block = 0; block < n; block++) {
        const projected = shape.skip && (cin !== cout || (stage > 0 && block === 0));
        count = add(count, weights(9 * cin * cout), batchNormCount(cout), weights(9 * cout * cout), batchNormCount(cout));
        if (projected) count = add(count, weights(cin * cout), batchNormCount(cout));
        cin = cout;
      }
    });
    count = add(count, weights(cin * classes + classes));
  } else if (shape.family === 'densenet') {
    // c: the dense net's channels at this point (it fixes the transitions' widths in both variants);
    // fed: the channels the next layer actually sees (c with concatenations, else its predecessor's output).
    let c = 2 * shape.growth;
    let fed = c;
    count = weights(9 * inChannels * c);
    for (let block = 0; block < shape.blocks; block++) {
      for (let layer = 0; layer < shape.layersPerBlock; layer++) {
        count = add(count, batchNormCount(fed), weights(9 * fed * shape.growth));
        c += shape.growth;
        fed = shape.dense ? c : shape.growth;
      }
      if (block < shape.blocks - 1) {
        const reduced = Math.floor(c * shape.compression);
        count = add(count, batchNormCount(fed), weights(fed * reduced));
        c = reduced;
        fed = reduced;
      }
    }
    count = add(count, batchNormCount(fed), weights(fed * classes + classes));
  } else if (shape.family === 'plain-cnn') {
    let cin = inChannels;
    count = weights(0);
    for (const base of PLAIN_CNN_CHANNELS) {
      const cout = scaledChannels(base, width);
      count = add(count, weights(9 * cin * cout), batchNormCount(cout));
      cin = cout;
    }
    count = add(count, weights(cin * classes + classes));
  } else if (shape.family === 'unet') {
    const channels = unetLevelChannels(width, shape.depth);
    const block = (cin: number, cout: number) => add(weights(9 * cin * cout), batchNormCount(cout), weights(9 * cout * cout), batchNormCount(cout));
    count = weights(0);
    let cin = inChannels;
    for (const c of channels) {
      count = add(count, block(cin, c));
      cin = c;
    }
    for (let level = shape.depth - 1; level >= 0; level--) {
      const c = channels[level]!;
      // 2×2 transposed convolution with bias, then the block; concatenation doubles the block's input channels.
      count = add(count, weights(4 * channels[level + 1]! * c + c), block(shape.skips === 'concat' ? 2 * c : c, c));
    }
    const out = pixelOutputChannels(classes);
    count = add(count, weights(channels[0]! * out + out));
  } else {
    const units = scaledChannels(shape.units, width);
    const features = inputShape.reduce((a, b) => a * b, 1);
    count = weights(features * units + units + shape.blocks * 2 * (units * units + units) + units * classes + classes);
  }
  return { trainable: count.trainable, total: count.trainable + count.state };
}

interface CatalogEntry {
  info: Omit<ArchitectureInfo, 'parameterCounts'>;
  shape: ArchitectureShape;
}

const IMAGE_INPUTS: { inputShape: number[]; classes: number }[] = [
  { inputShape: [28, 28, 1], classes: 10 },
  { inputShape: [32, 32, 3], classes: 10 },
];
const VECTOR_INPUTS: { inputShape: number[]; classes: number }[] = [
  { inputShape: [2], classes: 2 },
  { inputShape: [2], classes: 3 },
];
const IMAGE_DATASETS = ['mnist', 'fashion-mnist'];
const SEGMENTATION_INPUTS: { inputShape: number[]; classes: number }[] = [
  { inputShape: [28, 28, 1], classes: 2 },
  { inputShape: [32, 32, 1], classes: 4 },
];
const SEGMENTATION_DATASETS = ['mnist-seg', 'fashion-mnist-seg', 'shapes'];
const VECTOR_DATASETS = ['spirals', 'moons', 'circles', 'blobs'];

const RESNET_DEPTHS = [8, 20, 56, 110];

function resnetEntries(): CatalogEntry[] {
  return RESNET_DEPTHS.flatMap((depth) =>
    [true, false].map((skip): CatalogEntry => ({
      shape: { family: 'resnet', depth, skip },
      info: {
        id: skip ? `resnet${depth}` : `resnet${depth}-noshort`,
        name: skip ? `ResNet-${depth}` : `ResNet-${depth} without shortcuts`,
        family: 'resnet',
        description: skip
          ? `He et al. CIFAR ResNet, ${(depth - 2) / 6} basic blocks per stage (16/32/64 channels), identity shortcuts and 1×1 projection + BN where the shape changes`
          : `ResNet-${depth} with every shortcut (identity and projection) removed, nothing else changed (Li et al.'s "noshort")`,
        depth,
        skip,
        skipKind: skip ? 'residual' : 'none',
        pairedWith: skip ? `resnet${depth}-noshort` : `resnet${depth}`,
        input: 'image',
        task: 'classification',
        datasets: IMAGE_DATASETS,
      },
    })),
  );
}

const DENSENET_SMALL: DensenetShape = { family: 'densenet', growth: 12, layersPerBlock: 4, blocks: 3, compression: 0.5, dense: true };
const DENSENET_SMALL_DEPTH = 1 + DENSENET_SMALL.blocks * DENSENET_SMALL.layersPerBlock + (DENSENET_SMALL.blocks - 1) + 1;
const MLP_BLOCKS = 3;
const MLP_UNITS = 32;

const ENTRIES: CatalogEntry[] = [
  ...resnetEntries(),
  {
    shape: DENSENET_SMALL,
    info: {
      id: 'densenet-small', name: 'Small DenseNet', family: 'densenet',
      description: 'DenseNet-BC style: conv3×3(24) stem, 3 dense blocks of 4 BN-ReLU-conv3×3(12) layers each fed the concatenation of all earlier maps, BN-ReLU-conv1×1 (compression 0.5) + avg-pool transitions, BN-ReLU, global average pool, dense softmax',
      depth: DENSENET_SMALL_DEPTH,
      skip: true, skipKind: 'dense', pairedWith: 'densenet-small-noskip', input: 'image', task: 'classification', datasets: IMAGE_DATASETS,
    },
  },
  {
    shape: { ...DENSENET_SMALL, dense: false },
    info: {
      id: 'densenet-small-noskip', name: 'Small DenseNet without concatenations (plain, equal depth)', family: 'densenet',
      description:
        'densenet-small with every concatenation removed and nothing else changed: the same layers in the same order, each BN-ReLU-conv3×3(12) fed only ' +
        'its predecessor\'s output, so a conv\'s input channels are 12 where the dense net\'s grow (24 + 12·k); the transitions keep the dense net\'s output ' +
        'widths (36, 42). A plain chain of the same depth, for the dense-vs-plain comparison',
      depth: DENSENET_SMALL_DEPTH,
      skip: false, skipKind: 'none', pairedWith: 'densenet-small', input: 'image', task: 'classification', datasets: IMAGE_DATASETS,
    },
  },
  {
    shape: { family: 'plain-cnn' },
    info: {
      id: 'plain-cnn', name: 'Plain CNN', family: 'plain-cnn',
      description: 'Three conv3×3-BN-ReLU layers of 16/32/64 channels, 2×2 max-pool after the first two, global average pool, dense softmax',
      depth: PLAIN_CNN_CHANNELS.length + 1, skip: false, skipKind: 'none', pairedWith: null, input: 'image', task: 'classification', datasets: IMAGE_DATASETS,
    },
  },
  ...[true, false].map((residual): CatalogEntry => ({
    shape: { family: 'mlp', blocks: MLP_BLOCKS, units: MLP_UNITS, residual },
    info: {
      id: residual ? 'mlp-res' : 'mlp',
      name: residual ? 'Residual MLP' : 'MLP',
      family: 'mlp',
      description:
        `Dense(${MLP_UNITS}, ReLU), ${MLP_BLOCKS} blocks dense(ReLU) → dense` + (residual ? ' (+ block input)' : '') + ' → ReLU, dense softmax' +
        (residual ? '' : '; mlp-res with the additions removed'),
      depth: 2 + 2 * MLP_BLOCKS, skip: residual, skipKind: residual ? 'residual' : 'none',
      pairedWith: residual ? 'mlp' : 'mlp-res', input: 'vector', task: 'classification', datasets: VECTOR_DATASETS,
    },
  })),
  {
    shape: { family: 'unet', depth: UNET_DEFAULT_DEPTH, skips: UNET_DEFAULT_SKIPS },
    info: {
      id: 'unet', name: 'U-Net', family: 'unet',
      description:
        'Ronneberger et al. encoder–decoder for per-pixel prediction: per level two conv3×3-BN-ReLU and a 2×2 max-pool (16·2^l channels × width), ' +
        'a bottleneck block, per level a 2×2 stride-2 transposed convolution, the long skip (options skips: concat | add | none) and two conv3×3-BN-ReLU, ' +
        'then a 1×1 conv to per-pixel logits (1 channel for 2 classes, else one per class). Options depth (levels) and width; counts listed at the defaults',
      depth: 5 * UNET_DEFAULT_DEPTH + 3, skip: true, skipKind: 'long', pairedWith: null, input: 'image', task: 'segmentation', datasets: SEGMENTATION_DATASETS,
    },
  },
];

const BY_ID = new Map(ENTRIES.map((entry) => [entry.info.id, entry]));

/** Every zoo architecture with its parameter counts; static data, no tfjs. */
export const ARCHITECTURES: readonly ArchitectureInfo[] = ENTRIES.map(({ info, shape }) => ({
  ...info,
  parameterCounts: (info.task === 'segmentation' ? SEGMENTATION_INPUTS : info.input === 'image' ? IMAGE_INPUTS : VECTOR_INPUTS).map(({ inputShape, classes }) => ({
    inputShape, classes, ...parameterCount(shape, inputShape, classes),
  })),
}));

/** Catalog entry and structural shape of an id; ContractError naming `field` when unknown. */
export function architectureById(id: string, field = 'architecture.id'): { info: ArchitectureInfo; shape: ArchitectureShape } {
  const entry = BY_ID.get(id);
  if (!entry) throw new ContractError(field, `unknown architecture "${id}" (known: ${[...BY_ID.keys()].join(', ')})`);
  return { info: ARCHITECTURES.find((a) => a.id === id)!, shape: entry.shape };
}

/** The structural shape of a spec: the catalog's, with the U-Net options applied (defaults filled). */
export function architectureShape(spec: ArchitectureSpec, field = 'architecture'): ArchitectureShape {
  const { shape } = architectureById(spec.id, `${field}.id`);
  if (shape.family !== 'unet') {
    for (const option of ['depth', 'skips'] as const) {
      if (spec[option] !== undefined) throw new ContractError(`${field}.${option}`, `only unet takes ${option}; ${spec.id} fixes it by its id`);
    }
    return shape;
  }
  return { family: 'unet', depth: spec.depth ?? shape.depth, skips: spec.skips ?? shape.skips };
}

/** The spec with every default filled in (what training records and provenance store). */
export function resolveArchitectureSpec(spec: ArchitectureSpec, field = 'architecture'): ArchitectureSpec & { width: number } {
  const shape = architectureShape(spec, field);
  const resolved = { id: spec.id, width: spec.width ?? 1 };
  return shape.family === 'unet' ? { ...resolved, depth: shape.depth, skips: shape.skips } : resolved;
}

/** A short name telling specs apart: "resnet20", "resnet20×0.5", "unet (skips none, depth 2)". */
export function architectureLabel(spec: ArchitectureSpec): string {
  const resolved = resolveArchitectureSpec(spec);
  const width = resolved.width === 1 ? '' : `×${resolved.width}`;
  return resolved.skips === undefined ? `${resolved.id}${width}` : `${resolved.id}${width} (skips ${resolved.skips}, depth ${resolved.depth})`;
}

/**
 * Checks that the spec fits a dataset's task (a classifier on a per-pixel set or the reverse);
 * ContractError naming the architecture and the dataset otherwise.
 */
export function checkArchitectureTask(spec: ArchitectureSpec, dataset: { id: string; task: string }, field = 'architecture'): void {
  const { info } = architectureById(spec.id, `${field}.id`);
  if (info.task !== dataset.task) {
    throw new ContractError(`${field}.id`, `${spec.id} is a ${info.task} net but dataset "${dataset.id}" is a ${dataset.task} set (${spec.id} fits: ${info.datasets.join(', ')})`);
  }
}

/** Checks that the spec fits a dataset's sample shape; ContractError naming the field otherwise. */
export function checkArchitectureInput(spec: ArchitectureSpec, inputShape: number[], field = 'architecture'): void {
  const { info } = architectureById(spec.id, `${field}.id`);
  const shape = architectureShape(spec, field);
  if (info.input === 'image' && inputShape.length !== 3) {
    throw new ContractError(`${field}.id`, `${spec.id} needs image samples [h, w, c]; the dataset's samples are [${inputShape.join(', ')}]`);
  }
  if (info.input === 'vector' && inputShape.length !== 1) {
    throw new ContractError(`${field}.id`, `${spec.id} needs vector samples [d]; the dataset's samples are [${inputShape.join(', ')}]`);
  }
  if (spec.width !== undefined && shape.family === 'densenet') {
    throw new ContractError(`${field}.width`, `${spec.id} has a growth rate, not a width multiplier`);
  }
  if (shape.family === 'unet') {
    const side = 2 ** shape.depth;
    if (inputShape[0]! % side !== 0 || inputShape[1]! % side !== 0) {
      throw new ContractError(
        `${field}.depth`,
        `unet with depth ${shape.depth} halves the image ${shape.depth} times, so its sides must be divisible by ${side}; the dataset's samples are [${inputShape.join(', ')}]`,
      );
    }
  }
}
