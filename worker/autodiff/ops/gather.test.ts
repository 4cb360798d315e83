import { describe, expect, it } from 'vitest';
import { checkOp, values } from './gradient-check.ts';

describe('Gather rules', () => {
  it('repeated and negative indices along axis 1', async () => {
    const indices = [2, 0, 2, -1];
    const r = await checkOp({
      op: 'Gather',
      attributes: { axis: 1 },
      inputs: [{ name: 'x', shape: [2, 4], values: values(8, 1) }, { name: 'i', shape: [4], values: indices, dtype: 'int64' }],
      outputShape: [2, 4],
      reference: ([x]) => Float64Array.from({ length: 8 }, (_, k) => x![Math.floor(k / 4) * 4 + ((indices[k % 4]! + 4) % 4)]!),
    });
    expect(r.gradient).toBeLessThan(1e-6);
    expect(r.jvp).toBeLessThan(1e-6);
  });
});
