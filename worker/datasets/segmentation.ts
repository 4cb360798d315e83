import { CLUTTER_FRAGMENTS, CLUTTER_SIZE, PIXEL_NOISE } from '../../contract/datasets.ts';
import type { DatasetArrays, DatasetSplitArrays } from '../../contract/dataset-codec.ts';
import { gaussianStream, uniformStream } from '../numeric/rng.ts';

/**
 * A per-pixel segmentation set from a grey image classification set (see the mnist-seg entry of
 * BUILTIN_DATASETS): target = the clean image's foreground mask (pixel ≥ threshold → 1); input =
 * the clean image with CLUTTER_FRAGMENTS fragments of CLUTTER_SIZE² pixels, each cut at a random
 * place from a random other image of the same split and pasted at a random place by pixelwise max
 * (pasted pixels keep the clean image's label, so fragments are background), then + N(0, PIXEL_NOISE²)
 * on every pixel (not clipped). Draws: uniformStream(seed) for the fragments (source image, source
 * corner y, x, target corner y, x per fragment), gaussianStream(seed + 1) for the noise; train
 * first, then test. `count` limits each split to its first samples.
 */
export function segmentationFromImages(
  images: DatasetArrays,
  threshold: number,
  seed: number,
  count: { train: number; test: number } = { train: images.train.n, test: images.test.n },
): DatasetArrays {
  const [h, w, c] = images.inputShape as [number, number, number];
  if (c !== 1) throw new Error(`segmentationFromImages needs grey images, got ${c} channels`);
  const pixels = h * w;
  const uniform = uniformStream(seed);
  const normal = gaussianStream(seed + 1);
  const index = (bound: number) => Math.floor(uniform() * bound);
  const build = (source: DatasetSplitArrays, n: number): DatasetSplitArrays => {
    const x = new Float32Array(n * pixels);
    const y = new Int32Array(n * pixels);
    for (let i = 0; i < n; i++) {
      const clean = source.x.subarray(i * pixels, (i + 1) * pixels);
      const image = x.subarray(i * pixels, (i + 1) * pixels);
      image.set(clean);
      for (let p = 0; p < pixels; p++) y[i * pixels + p] = clean[p]! >= threshold ? 1 : 0;
      for (let f = 0; f < CLUTTER_FRAGMENTS; f++) {
        let other = index(source.n - 1);
        if (other >= i) other++;
        const fragment = source.x.subarray(other * pixels, (other + 1) * pixels);
        const [sy, sx, ty, tx] = [index(h - CLUTTER_SIZE + 1), index(w - CLUTTER_SIZE + 1), index(h - CLUTTER_SIZE + 1), index(w - CLUTTER_SIZE + 1)];
        for (let dy = 0; dy < CLUTTER_SIZE; dy++) {
          for (let dx = 0; dx < CLUTTER_SIZE; dx++) {
            const target = (ty + dy) * w + tx + dx;
            image[target] = Math.max(image[target]!, fragment[(sy + dy) * w + sx + dx]!);
          }
        }
      }
      for (let p = 0; p < pixels; p++) image[p] = image[p]! + PIXEL_NOISE * normal();
    }
    return { x, y, n };
  };
  const train = build(images.train, Math.min(count.train, images.train.n));
  const test = build(images.test, Math.min(count.test, images.test.n));
  return { task: 'segmentation', inputShape: [h, w, 1], classes: 2, targetSize: null, train, test };
}
