import { describe, expect, it } from 'vitest';
import { CLUTTER_FRAGMENTS, CLUTTER_SIZE, SEGMENTATION_SEED } from '../../contract/datasets.ts';
import { builtinDataset } from './builtin.ts';
import { segmentationFromImages } from './segmentation.ts';
import { shapesDataset } from './shapes.ts';

describe('segmentation from real images', () => {
  const mnist = builtinDataset('mnist');
  const seg = builtinDataset('mnist-seg');

  it('the target is the clean digit thresholded at 0.5, one label per pixel, MNIST\'s split', () => {
    expect(seg.task).toBe('segmentation');
    expect([seg.train.n, seg.test.n]).toEqual([mnist.train.n, mnist.test.n]);
    expect(seg.train.y.length).toBe(mnist.train.n * 784);
    for (const [clean, masked] of [[mnist.train, seg.train], [mnist.test, seg.test]] as const) {
      for (let p = 0; p < clean.x.length; p++) if (masked.y[p] !== (clean.x[p]! >= 0.5 ? 1 : 0)) throw new Error(`pixel ${p} mislabelled`);
    }
  });

  it('inputs are the clean image + clutter (only raises pixels, about 3 fragments of 7×7) + N(0, 0.1²) noise', () => {
    const pixels = 1000 * 784;
    const residual = new Float64Array(pixels);
    for (let p = 0; p < pixels; p++) residual[p] = seg.train.x[p]! - mnist.train.x[p]!;
    // Pixels where no fragment landed carry noise alone; fragments add up to 1 on the background.
    let [n, sum, squares, raisedCount] = [0, 0, 0, 0];
    for (const r of residual) {
      if (r > 0.5) raisedCount++;
      if (Math.abs(r) >= 0.4) continue;
      n++;
      sum += r;
      squares += r * r;
    }
    const mean = sum / n;
    const std = Math.sqrt(squares / n - mean * mean);
    expect(Math.abs(mean)).toBeLessThan(0.005);
    expect(std).toBeGreaterThan(0.095);
    expect(std).toBeLessThan(0.105);
    // Fragments raise background pixels strongly: a share of the image of the order of 3·49/784 times stroke density.
    const raised = raisedCount / pixels;
    expect(raised).toBeGreaterThan(0.005);
    expect(raised).toBeLessThan((CLUTTER_FRAGMENTS * CLUTTER_SIZE * CLUTTER_SIZE) / 784);
  });

  it('is a pure function of its seed', () => {
    const small = { ...mnist, train: { ...mnist.train, n: 50 }, test: { ...mnist.test, n: 20 } };
    const a = segmentationFromImages(small, 0.5, SEGMENTATION_SEED);
    const b = segmentationFromImages(small, 0.5, SEGMENTATION_SEED);
    const c = segmentationFromImages(small, 0.5, SEGMENTATION_SEED + 7);
    expect(a.train.x).toEqual(b.train.x);
    expect(a.test.y).toEqual(b.test.y);
    expect(a.train.x).not.toEqual(c.train.x);
    expect(a.train.y).toEqual(c.train.y);
  });
});

describe('synthetic shapes', () => {
  const d = shapesDataset(1, { train: 300, test: 10 });

  it('labels every pixel 0..3, every image has a shape, intensities follow the description', () => {
    expect(d.inputShape).toEqual([32, 32, 1]);
    expect(d.classes).toBe(4);
    const sums = [0, 0, 0, 0];
    const counts = [0, 0, 0, 0];
    for (let p = 0; p < d.train.y.length; p++) {
      sums[d.train.y[p]!]! += d.train.x[p]!;
      counts[d.train.y[p]!]!++;
    }
    for (let i = 0; i < d.train.n; i++) expect(d.train.y.subarray(i * 1024, (i + 1) * 1024).some((k) => k > 0)).toBe(true);
    expect(counts.every((c) => c > 1000)).toBe(true);
    expect(sums[0]! / counts[0]!).toBeCloseTo(0.2, 2);
    for (const k of [1, 2, 3]) expect(Math.abs(sums[k]! / counts[k]! - 0.75)).toBeLessThan(0.03);
  });

  it('draws areas in the ratio of the shapes: circle πr², square 4r², triangle 2r²', () => {
    const counts = [0, 0, 0, 0];
    for (const k of d.train.y) counts[k]!++;
    // Classes are drawn uniformly and sizes the same way, so the pixel shares follow the area ratios (overlaps aside).
    expect(counts[2]! / counts[1]!).toBeCloseTo(4 / Math.PI, 0);
    expect(counts[3]! / counts[2]!).toBeCloseTo(0.5, 0);
  });

  it('is a pure function of its seed', () => {
    expect(shapesDataset(1, { train: 300, test: 10 }).train.x).toEqual(d.train.x);
    expect(shapesDataset(2, { train: 300, test: 10 }).train.y).not.toEqual(d.train.y);
  });
});
