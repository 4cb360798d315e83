import { describe, expect, it } from 'vitest';
import { checkOp, values } from './gradient-check.ts';

describe('Resize rules', () => {
  it('nearest ×2 upsampling (U-Net decoder)', async () => {
    const r = await checkOp({
      op: 'Resize',
      attributes: { mode: 'nearest' },
      inputs: [
        { name: 'x', shape: [1, 2, 2, 3], values: values(12, 1) },
        { name: 'roi', shape: [0], values: [], constant: true },
        { name: 'scales', shape: [4], values: [1, 1, 2, 2], constant: true },
      ],
      outputShape: [1, 2, 4, 6],
      reference: ([x]) => Float64Array.from({ length: 48 }, (_, k) => {
        const c = Math.floor(k / 24);
        const i = Math.floor((k % 24) / 6);
        const j = k % 6;
        return x![(c * 2 + Math.floor(i / 2)) * 3 + Math.floor(j / 2)]!;
      }),
    });
    expect(r.gradient).toBeLessThan(1e-6);
    expect(r.jvp).toBeLessThan(1e-6);
  });
});
