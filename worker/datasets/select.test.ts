import { describe, expect, it } from 'vitest';
import type { DatasetArrays } from '../../contract/dataset-codec.ts';
import { selectSamples } from '../numeric/samples.ts';
import { evaluationData } from './select.ts';

/** Sample k of the concatenation train+test has x = [k, −k] and target [k/10, k/100]. */
function regressionSet(trainN: number, testN: number): DatasetArrays {
  const split = (from: number, n: number) => ({
    x: Float32Array.from({ length: 2 * n }, (_, j) => (j % 2 === 0 ? 1 : -1) * (from + Math.floor(j / 2))),
    y: Float32Array.from({ length: 2 * n }, (_, j) => (from + Math.floor(j / 2)) / (j % 2 === 0 ? 10 : 100)),
    n,
  });
  return { task: 'regression', inputShape: [2], classes: null, targetSize: 2, train: split(0, trainN), test: split(trainN, testN) };
}

describe('evaluationData', () => {
  const d = regressionSet(30, 12);

  it('gathers the rows of the selected indices from the chosen split', () => {
    const { data, indices } = evaluationData(d, 'test', 5, 3);
    expect(indices).toEqual(selectSamples(12, 5, 3));
    expect(data.n).toBe(5);
    expect(data.inputShape).toEqual([2]);
    indices.forEach((index, row) => {
      expect(data.x[2 * row]).toBe(30 + index);
      expect(data.y[2 * row + 1]).toBe(Math.fround((30 + index) / 100));
    });
  });

  it('indexes train followed by test for split both', () => {
    const { data, indices } = evaluationData(d, 'both', 20, 8);
    expect(indices).toEqual(selectSamples(42, 20, 8));
    indices.forEach((index, row) => expect(data.x[2 * row]).toBe(index));
    expect(indices.some((i) => i >= 30)).toBe(true);
  });

  it('takes the whole split when asked for all of it, and refuses more', () => {
    const { data, indices } = evaluationData(d, 'train', 30, 0);
    expect(indices.length).toBe(30);
    expect(data.n).toBe(30);
    expect(data.y).toBeInstanceOf(Float32Array);
    expect(data.y.length).toBe(60);
    expect(() => evaluationData(d, 'train', 1000, 0)).toThrow('cannot choose 1000 samples from a split of 30');
  });

  it('keeps integer labels for classification', () => {
    const cls: DatasetArrays = {
      task: 'classification', inputShape: [1], classes: 3, targetSize: null,
      train: { x: Float32Array.from([0, 1, 2]), y: Int32Array.from([2, 0, 1]), n: 3 },
      test: { x: new Float32Array(0), y: new Int32Array(0), n: 0 },
    };
    const { data } = evaluationData(cls, 'train', 3, 0);
    expect(data.y).toBeInstanceOf(Int32Array);
    expect(Array.from(data.y)).toEqual([2, 0, 1]);
  });
});
