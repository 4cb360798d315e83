import { describe, expect, it } from 'vitest';
import { checkOp, values } from './gradient-check.ts';

describe('Sum and Mean rules', () => {
  for (const [op, scale] of [['Sum', 1], ['Mean', 1 / 3]] as const) {
    it(`${op} of three inputs, one broadcast`, async () => {
      const r = await checkOp({
        op,
        inputs: [{ name: 'a', shape: [2, 3], values: values(6, 1) }, { name: 'b', shape: [2, 3], values: values(6, 2) }, { name: 'c', shape: [3], values: values(3, 3) }],
        outputShape: [2, 3],
        reference: ([a, b, c]) => a!.map((v, i) => (v + b![i]! + c![i % 3]!) * scale),
      });
      expect(r.gradient).toBeLessThan(1e-6);
      expect(r.jvp).toBeLessThan(1e-6);
    });
  }
});
