import type { Split } from '../../contract/datasets.ts';
import { targetValues, type DatasetArrays, type DatasetSplitArrays } from '../../contract/dataset-codec.ts';
import type { EvalData } from '../engine/evaluator.ts';
import { selectSamples } from '../numeric/samples.ts';

/**
 * The evaluation samples of a surface: selectSamples over the chosen split, gathered in index
 * order. split 'both' = train followed by test (indices index that concatenation); samples must
 * not exceed the split size (selectSamples throws).
 */
export function evaluationData(d: DatasetArrays, split: Split, samples: number, seed: number): { data: EvalData; indices: Int32Array } {
  const parts: DatasetSplitArrays[] = split === 'train' ? [d.train] : split === 'test' ? [d.test] : [d.train, d.test];
  const splitSize = parts.reduce((n, p) => n + p.n, 0);
  const indices = selectSamples(splitSize, samples, seed);
  const features = d.inputShape.reduce((n, s) => n * s, 1);
  const targets = targetValues(d);
  const n = indices.length;
  const x = new Float32Array(n * features);
  const y = d.task === 'regression' ? new Float32Array(n * targets) : new Int32Array(n * targets);
  for (let row = 0; row < n; row++) {
    let index = indices[row]!;
    let part = 0;
    while (index >= parts[part]!.n) index -= parts[part++]!.n;
    const source = parts[part]!;
    x.set(source.x.subarray(index * features, (index + 1) * features), row * features);
    y.set(source.y.subarray(index * targets, (index + 1) * targets), row * targets);
  }
  return { data: { x, inputShape: [...d.inputShape], y, n }, indices };
}
