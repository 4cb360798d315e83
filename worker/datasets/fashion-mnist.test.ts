import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { INSTALLED_DATASETS, notInstalledMessage } from '../../contract/datasets.ts';
import { fashionMnist, builtinInstalled } from './fashion-mnist.ts';

const DIR = INSTALLED_DATASETS['fashion-mnist']!.dir;
const installed = builtinInstalled('fashion-mnist');
const skipped = installed ? '' : ` — SKIPPED: ${notInstalledMessage('fashion-mnist')}`;

/** Raw bytes of a shipped file, read without the IDX reader (header: 16 bytes for images, 8 for labels). */
function shipped(name: string): Buffer {
  return gunzipSync(readFileSync(`${DIR}/${name}.gz`));
}

const digest = (a: ArrayBufferView) => createHash('sha256').update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest('hex');

describe.skipIf(!installed)(`Fashion-MNIST from dataset-fashion-mnist${skipped}`, () => {
  const d = installed ? fashionMnist() : null!;

  it('has the official 60,000 / 10,000 split of 28×28 images, 10 balanced classes, pixels in [0, 1]', () => {
    expect(d.inputShape).toEqual([28, 28, 1]);
    expect([d.train.n, d.test.n]).toEqual([60000, 10000]);
    expect(d.train.x.length).toBe(60000 * 784);
    for (const [split, perClass] of [[d.train, 6000], [d.test, 1000]] as const) {
      const counts = new Array<number>(10).fill(0);
      for (const label of split.y) counts[label]!++;
      expect(counts).toEqual(new Array(10).fill(perClass));
      let min = Infinity;
      let max = -Infinity;
      for (const v of split.x) (min = Math.min(min, v)), (max = Math.max(max, v));
      expect([min, max]).toEqual([0, 1]);
    }
  });

  it('keeps file order: train = train-images, test = t10k-images, pixel = byte / 255', () => {
    const trainImages = shipped('train-images-idx3-ubyte');
    const testImages = shipped('t10k-images-idx3-ubyte');
    const testLabels = shipped('t10k-labels-idx1-ubyte');
    expect(Array.from(d.train.x.subarray(0, 784))).toEqual(Array.from(trainImages.subarray(16, 16 + 784), (b) => Math.fround(b / 255)));
    const last = 9999 * 784;
    expect(Array.from(d.test.x.subarray(last))).toEqual(Array.from(testImages.subarray(16 + last), (b) => Math.fround(b / 255)));
    expect(Array.from(d.test.y.subarray(0, 20))).toEqual(Array.from(testLabels.subarray(8, 28)));
  });

  it('is deterministic: a second read gives the identical split', () => {
    const again = fashionMnist();
    for (const name of ['train', 'test'] as const) {
      expect(digest(again[name].x)).toBe(digest(d[name].x));
      expect(digest(again[name].y)).toBe(digest(d[name].y));
    }
  });
});

describe('Fashion-MNIST absent', () => {
  it('fails with a ContractError naming dataset.id, the dataset and the package, not a crash', () => {
    expect(() => fashionMnist('/nonexistent/fashion-mnist')).toThrow(/^dataset\.id: dataset "fashion-mnist" is not installed.*dataset-fashion-mnist.*missing: \/nonexistent/);
  });
});
