import { describe, expect, it } from 'vitest';
import { checkOp, values } from './gradient-check.ts';

describe('Split rules', () => {
  it('uneven split along axis 1, the first part read', async () => {
    const r = await checkOp({
      op: 'Split',
      attributes: { axis: 1 },
      inputs: [{ name: 'x', shape: [2, 5], values: values(10, 1) }, { name: 'split', shape: [2], values: [2, 3], dtype: 'int64' }],
      outputShape: [2, 2],
      extraOutputs: [{ shape: [2, 3], dtype: 'float32' }],
      reference: ([x]) => Float64Array.from([x![0]!, x![1]!, x![5]!, x![6]!]),
    });
    expect(r.gradient).toBeLessThan(1e-6);
    expect(r.jvp).toBeLessThan(1e-6);
  });
});
