import { describe, expect, it } from 'vitest';
import { checkOp } from './gradient-check.ts';

describe('Clip rules', () => {
  it('between constant bounds, away from them', async () => {
    // Values in steps of 0.17, offset from the bounds −0.5 and 0.6 by at least 0.05.
    const x = Float64Array.from({ length: 12 }, (_, i) => -1.02 + 0.17 * i);
    const r = await checkOp({
      op: 'Clip',
      inputs: [
        { name: 'x', shape: [3, 4], values: x },
        { name: 'lo', shape: [], values: [-0.5], constant: true },
        { name: 'hi', shape: [], values: [0.6], constant: true },
      ],
      outputShape: [3, 4],
      reference: ([a]) => a!.map((v) => Math.min(Math.max(v, -0.5), 0.6)),
    });
    expect(r.gradient).toBeLessThan(1e-5);
    expect(r.jvp).toBeLessThan(1e-5);
  });
});
