import { describe, expect, it } from 'vitest';
import { checkOp, values } from './gradient-check.ts';

describe('reshape-like rules', () => {
  it('Reshape', async () => {
    const r = await checkOp({
      op: 'Reshape',
      inputs: [{ name: 'x', shape: [2, 3, 2], values: values(12, 1) }, { name: 's', shape: [2], values: [4, -1], dtype: 'int64' }],
      outputShape: [4, 3],
      reference: ([x]) => x!.slice(),
    });
    expect(r.gradient).toBeLessThan(1e-6);
    expect(r.jvp).toBeLessThan(1e-6);
  });
  it('Flatten', async () => {
    const r = await checkOp({
      op: 'Flatten',
      attributes: { axis: 1 },
      inputs: [{ name: 'x', shape: [2, 3, 2], values: values(12, 2) }],
      outputShape: [2, 6],
      reference: ([x]) => x!.slice(),
    });
    expect(r.gradient).toBeLessThan(1e-6);
    expect(r.jvp).toBeLessThan(1e-6);
  });
  it('Squeeze and Unsqueeze', async () => {
    for (const [op, from, to] of [['Squeeze', [2, 1, 3], [2, 3]], ['Unsqueeze', [2, 3], [2, 1, 3]]] as const) {
      const r = await checkOp({
        op,
        inputs: [{ name: 'x', shape: [...from], values: values(6, 3) }, { name: 'axes', shape: [1], values: [1], dtype: 'int64' }],
        outputShape: [...to],
        reference: ([x]) => x!.slice(),
      });
      expect(r.gradient).toBeLessThan(1e-6);
      expect(r.jvp).toBeLessThan(1e-6);
    }
  });
});
