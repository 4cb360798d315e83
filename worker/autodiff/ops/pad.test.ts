import { describe, expect, it } from 'vitest';
import { checkOp, values } from './gradient-check.ts';

describe('Pad rules', () => {
  it('constant mode, asymmetric pads', async () => {
    const r = await checkOp({
      op: 'Pad',
      attributes: { mode: 'constant' },
      inputs: [
        { name: 'x', shape: [1, 2, 2, 3], values: values(12, 1) },
        { name: 'pads', shape: [8], values: [0, 0, 1, 0, 0, 0, 0, 2], dtype: 'int64' },
      ],
      outputShape: [1, 2, 3, 5],
      reference: ([x]) => {
        const out = new Float64Array(30);
        for (let c = 0; c < 2; c++) for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) out[(c * 3 + i + 1) * 5 + j] = x![(c * 2 + i) * 3 + j]!;
        return out;
      },
    });
    expect(r.gradient).toBeLessThan(1e-6);
    expect(r.jvp).toBeLessThan(1e-6);
  });
});
