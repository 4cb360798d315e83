import { describe, expect, it } from 'vitest';
import { awayFromZero, checkOp, values } from './gradient-check.ts';

describe('PRelu rules', () => {
  it('per-channel slopes, both differentiated', async () => {
    const r = await checkOp({
      op: 'PRelu',
      inputs: [{ name: 'x', shape: [2, 3, 2], values: awayFromZero(1) }, { name: 's', shape: [3, 1], values: values(3, 2, 0.3) }],
      outputShape: [2, 3, 2],
      reference: ([x, s]) => x!.map((v, i) => (v > 0 ? v : s![Math.floor(i / 2) % 3]! * v)),
    });
    expect(r.gradient).toBeLessThan(1e-5);
    expect(r.jvp).toBeLessThan(1e-5);
    expect(r.hvp).toBeLessThan(1e-3);
  });
});
