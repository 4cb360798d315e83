import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { BUILTIN_DATASETS, notInstalledMessage } from '../../contract/datasets.ts';
import { targetValues } from '../../contract/dataset-codec.ts';
import { ContractError } from '../../contract/errors.ts';
import { builtinDataset } from './builtin.ts';
import { builtinInstalled } from './fashion-mnist.ts';

const digits = createRequire(import.meta.url)('mnist') as { length: number; get(i: number): number[] }[];

function classCounts(y: Int32Array | Float32Array, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const label of y) counts[label]!++;
  return counts;
}

describe('builtinDataset', () => {
  for (const info of BUILTIN_DATASETS) {
    const installed = builtinInstalled(info.id);
    it.skipIf(!installed)(`${info.id} matches its BUILTIN_DATASETS entry${installed ? '' : ` — SKIPPED: ${notInstalledMessage(info.id)}`}`, () => {
      const d = builtinDataset(info.id);
      expect(d.task).toBe(info.task);
      expect(d.inputShape).toEqual(info.inputShape);
      expect(d.classes).toBe(info.classes);
      expect(d.targetSize).toBe(info.targetSize);
      expect({ train: d.train.n, test: d.test.n }).toEqual(info.splits);
      const features = info.inputShape.reduce((n, s) => n * s, 1);
      for (const split of [d.train, d.test]) {
        expect(split.x.length).toBe(split.n * features);
        expect(split.y).toBeInstanceOf(Int32Array);
        expect(split.y.length).toBe(split.n * targetValues(info));
        expect(split.x.every(Number.isFinite)).toBe(true);
        const counts = classCounts(split.y, info.classes!);
        expect(Math.min(...counts)).toBeGreaterThan(0);
        // The 2D synthetic sets are balanced by construction (label i % classes).
        if (info.inputShape.length === 1) expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
      }
      expect(builtinDataset(info.id)).toBe(d);
    });
  }

  it('mnist keeps the package order and puts sample i in test when i % 5 === 4', () => {
    const d = builtinDataset('mnist');
    // Global sample 4 is digit 0 number 4 (the first test sample); sample 5 is the fifth train sample.
    expect(Array.from(d.test.x.subarray(0, 784))).toEqual(digits[0]!.get(4).map(Math.fround));
    expect(Array.from(d.train.x.subarray(4 * 784, 5 * 784))).toEqual(digits[0]!.get(5).map(Math.fround));
    // The last sample overall (digit 9, index 9999) has 9999 % 5 === 4: it ends the test split.
    expect(Array.from(d.test.x.subarray(1999 * 784))).toEqual(digits[9]!.get(digits[9]!.length - 1).map(Math.fround));
    expect(d.test.y[0]).toBe(0);
    expect(d.test.y[1999]).toBe(9);
    for (let i = 1; i < d.train.n; i++) expect(d.train.y[i]!).toBeGreaterThanOrEqual(d.train.y[i - 1]!);
    const counts = classCounts(d.train.y, 10).map((c, k) => c + classCounts(d.test.y, 10)[k]!);
    expect(counts).toEqual(digits.slice(0, 10).map((digit) => digit.length));
    expect(d.train.x.reduce((m, v) => Math.min(m, v), Infinity)).toBe(0);
    expect(d.train.x.reduce((m, v) => Math.max(m, v), -Infinity)).toBe(1);
  });

  it('synthetic layouts follow their descriptions', () => {
    const meanRadius = (id: string, label: number) => {
      const { train } = builtinDataset(id);
      let sum = 0;
      let n = 0;
      for (let i = 0; i < train.n; i++) if (train.y[i] === label) (sum += Math.hypot(train.x[2 * i]!, train.x[2 * i + 1]!)), n++;
      return sum / n;
    };
    expect(meanRadius('circles', 0)).toBeCloseTo(1, 1);
    expect(meanRadius('circles', 1)).toBeCloseTo(0.5, 1);
    expect(meanRadius('spirals', 0)).toBeCloseTo(0.5, 1);
    const blobs = builtinDataset('blobs').train;
    for (let label = 0; label < 3; label++) {
      const angle = Math.PI / 2 + (2 * Math.PI * label) / 3;
      let sx = 0;
      let sy = 0;
      let n = 0;
      for (let i = 0; i < blobs.n; i++) if (blobs.y[i] === label) (sx += blobs.x[2 * i]!), (sy += blobs.x[2 * i + 1]!), n++;
      expect(Math.hypot(sx / n - 3 * Math.cos(angle), sy / n - 3 * Math.sin(angle))).toBeLessThan(0.15);
    }
    expect(builtinDataset('moons').train.x).not.toEqual(builtinDataset('circles').train.x);
  });

  it('rejects unknown ids naming dataset.id', () => {
    expect(() => builtinDataset('cifar10')).toThrow(ContractError);
    expect(() => builtinDataset('cifar10')).toThrow(/^dataset\.id: unknown built-in dataset "cifar10"/);
  });
});
