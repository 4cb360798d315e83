import { existsSync } from 'node:fs';
import { ContractError } from '../../contract/errors.ts';
import { FASHION_MNIST_FILES, INSTALLED_DATASETS, missingDatasetFiles, notInstalledMessage } from '../../contract/datasets.ts';
import type { DatasetArrays, DatasetSplitArrays } from '../../contract/dataset-codec.ts';
import { readIdxFile } from './idx.ts';

const SIDE = 28;
const CLASSES = 10;

function split(dir: string, images: string, labels: string): DatasetSplitArrays {
  const x = readIdxFile(`${dir}/${images}`);
  const y = readIdxFile(`${dir}/${labels}`);
  const n = x.dims[0]!;
  if (x.dims.length !== 3 || x.dims[1] !== SIDE || x.dims[2] !== SIDE) throw new Error(`${images}: images are [${x.dims}], not [n, 28, 28]`);
  if (y.dims.length !== 1 || y.dims[0] !== n) throw new Error(`${labels}: ${y.dims} labels for ${n} images`);
  const pixels = new Float32Array(x.data.length);
  for (let i = 0; i < pixels.length; i++) pixels[i] = x.data[i]! / 255;
  const classes = Int32Array.from(y.data);
  const bad = classes.findIndex((label) => label >= CLASSES);
  if (bad >= 0) throw new Error(`${labels}: label ${classes[bad]} of sample ${bad} is not a class in [0, 10)`);
  return { x: pixels, y: classes, n };
}

/**
 * Fashion-MNIST from the IDX files of Debian's dataset-fashion-mnist (gzipped as shipped, or not),
 * the official split: train = the 60,000 training images, test = the 10,000 t10k images, in file
 * order; pixels byte / 255. ContractError('dataset.id') naming the dataset and the package when the
 * files are absent. `dir` is for tests.
 */
export function fashionMnist(dir = INSTALLED_DATASETS['fashion-mnist']!.dir): DatasetArrays {
  const installed = { ...INSTALLED_DATASETS['fashion-mnist']!, dir };
  const missing = installed.files.map((f) => `${dir}/${f}`).filter((path) => !existsSync(path) && !existsSync(`${path}.gz`));
  if (missing.length > 0) throw new ContractError('dataset.id', `${notInstalledMessage('fashion-mnist')} (missing: ${missing.join(', ')})`);
  return {
    task: 'classification', inputShape: [SIDE, SIDE, 1], classes: CLASSES, targetSize: null,
    train: split(dir, FASHION_MNIST_FILES.trainImages, FASHION_MNIST_FILES.trainLabels),
    test: split(dir, FASHION_MNIST_FILES.testImages, FASHION_MNIST_FILES.testLabels),
  };
}

/** Whether the built-in `id` can be loaded on this machine (always true for built-ins that need no files). */
export function builtinInstalled(id: string): boolean {
  return missingDatasetFiles(id, existsSync).length === 0;
}
