import { describe, expect, it } from 'vitest';
import { checkOp, values } from './gradient-check.ts';

const N = 3;
const C = 2;
const HW = 4;

function inputs() {
  return [
    { name: 'x', shape: [N, C, 2, 2], values: values(N * C * HW, 1, 2, 0.3) },
    { name: 'gamma', shape: [C], values: values(C, 2, 0.5, 1) },
    { name: 'beta', shape: [C], values: values(C, 3) },
    { name: 'mean', shape: [C], values: values(C, 4), constant: true },
    { name: 'var', shape: [C], values: values(C, 5, 0.3, 1), constant: true },
  ];
}

describe('BatchNormalization rules (lowered)', () => {
  it('moving statistics: a per-channel affine map', async () => {
    const r = await checkOp({
      op: 'BatchNormalization',
      attributes: { epsilon: { float: 1e-3 } },
      inputs: inputs(),
      outputShape: [N, C, 2, 2],
      reference: ([x, gamma, beta, mean, variance]) =>
        x!.map((v, i) => {
          const c = Math.floor(i / HW) % C;
          return ((v - mean![c]!) / Math.sqrt(variance![c]! + 1e-3)) * gamma![c]! + beta![c]!;
        }),
    });
    expect(r.gradient).toBeLessThan(1e-4);
    expect(r.jvp).toBeLessThan(1e-4);
    expect(r.hvp).toBeLessThan(1e-3);
  });
  it('batch statistics: normalized with the batch mean and biased variance', async () => {
    const r = await checkOp({
      op: 'BatchNormalization',
      attributes: { epsilon: { float: 1e-3 } },
      batchNorm: 'batch',
      inputs: inputs(),
      outputShape: [N, C, 2, 2],
      reference: ([x, gamma, beta]) => {
        const mean = new Float64Array(C);
        const variance = new Float64Array(C);
        x!.forEach((v, i) => (mean[Math.floor(i / HW) % C] += v / (N * HW)));
        x!.forEach((v, i) => (variance[Math.floor(i / HW) % C] += (v - mean[Math.floor(i / HW) % C]!) ** 2 / (N * HW)));
        return x!.map((v, i) => {
          const c = Math.floor(i / HW) % C;
          return ((v - mean[c]!) / Math.sqrt(variance[c]! + 1e-3)) * gamma![c]! + beta![c]!;
        });
      },
    });
    expect(r.gradient).toBeLessThan(1e-4);
    expect(r.jvp).toBeLessThan(1e-4);
    expect(r.hvp).toBeLessThan(1e-3);
  });
});
