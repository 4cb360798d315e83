import { describe, expect, it } from 'vitest';
import { checkOp } from './gradient-check.ts';

describe('Max and Min rules', () => {
  // Inputs 0.1 apart at least: no ties within the finite-difference steps.
  const a = Float64Array.from({ length: 6 }, (_, i) => [0.3, -0.6, 1.1, -0.2, 0.7, -1.3][i]!);
  const b = Float64Array.from({ length: 3 }, (_, i) => [0.1, -0.4, 0.5][i]!);
  for (const [op, pick] of [['Max', Math.max], ['Min', Math.min]] as const) {
    it(`${op} of a [2, 3] and a broadcast [3] input`, async () => {
      const r = await checkOp({
        op,
        inputs: [{ name: 'a', shape: [2, 3], values: a }, { name: 'b', shape: [3], values: b }],
        outputShape: [2, 3],
        reference: ([x, y]) => x!.map((v, i) => pick(v, y![i % 3]!)),
      });
      expect(r.gradient).toBeLessThan(1e-6);
      expect(r.jvp).toBeLessThan(1e-6);
    });
  }

});
