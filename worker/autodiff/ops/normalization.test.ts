import { describe, expect, it } from 'vitest';
import { checkOp, values } from './gradient-check.ts';

function normalizeGroups(x: Float64Array, groups: number, size: number, epsilon: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let gi = 0; gi < groups; gi++) {
    const part = x.subarray(gi * size, (gi + 1) * size);
    const mean = part.reduce((a, b) => a + b, 0) / size;
    const variance = part.reduce((a, b) => a + (b - mean) ** 2, 0) / size;
    for (let k = 0; k < size; k++) y[gi * size + k] = (part[k]! - mean) / Math.sqrt(variance + epsilon);
  }
  return y;
}

describe('InstanceNormalization and LayerNormalization rules (lowered)', () => {
  it('InstanceNormalization', async () => {
    const r = await checkOp({
      op: 'InstanceNormalization',
      attributes: { epsilon: { float: 1e-3 } },
      inputs: [{ name: 'x', shape: [2, 2, 2, 2], values: values(16, 1, 2) }, { name: 's', shape: [2], values: values(2, 2, 0.3, 1) }, { name: 'b', shape: [2], values: values(2, 3) }],
      outputShape: [2, 2, 2, 2],
      reference: ([x, s, b]) => normalizeGroups(x!, 4, 4, 1e-3).map((v, i) => v * s![Math.floor(i / 4) % 2]! + b![Math.floor(i / 4) % 2]!),
    });
    expect(r.gradient).toBeLessThan(1e-4);
    expect(r.jvp).toBeLessThan(1e-4);
    expect(r.hvp).toBeLessThan(1e-3);
  });
  it('LayerNormalization over the last axis', async () => {
    const r = await checkOp({
      op: 'LayerNormalization',
      attributes: { axis: -1, epsilon: { float: 1e-3 } },
      inputs: [{ name: 'x', shape: [3, 4], values: values(12, 4, 2) }, { name: 's', shape: [4], values: values(4, 5, 0.3, 1) }, { name: 'b', shape: [4], values: values(4, 6) }],
      outputShape: [3, 4],
      reference: ([x, s, b]) => normalizeGroups(x!, 3, 4, 1e-3).map((v, i) => v * s![i % 4]! + b![i % 4]!),
    });
    expect(r.gradient).toBeLessThan(1e-4);
    expect(r.jvp).toBeLessThan(1e-4);
    expect(r.hvp).toBeLessThan(1e-3);
  });
});
