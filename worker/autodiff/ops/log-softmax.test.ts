import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { appendTangents } from '../forward.ts';
import { Graph } from '../graph.ts';
import { appendGradients } from '../reverse.ts';
import { checkOp, values } from './gradient-check.ts';

function logSoftmaxRows(x: Float64Array, rows: number, width: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let k = 0; k < width; k++) max = Math.max(max, x[r * width + k]!);
    let sum = 0;
    for (let k = 0; k < width; k++) sum += Math.exp(x[r * width + k]! - max);
    for (let k = 0; k < width; k++) y[r * width + k] = x[r * width + k]! - max - Math.log(sum);
  }
  return y;
}

describe('LogSoftmax rules', () => {
  it('along the last axis', async () => {
    const r = await checkOp({
      op: 'LogSoftmax',
      attributes: { axis: -1 },
      inputs: [{ name: 'x', shape: [3, 4], values: values(12, 5, 2) }],
      outputShape: [3, 4],
      reference: ([x]) => logSoftmaxRows(x!, 3, 4),
    });
    expect(r.gradient).toBeLessThan(1e-4);
    expect(r.jvp).toBeLessThan(1e-4);
    expect(r.hvp).toBeLessThan(1e-3);
  });
});

describe('LogSoftmax rules far from θ*', () => {
  it('flush probabilities below float32 normal range: the cross-entropy cotangent and its tangent hold no subnormal', async () => {
    // Rows of logits 100 apart; one-hot targets as the cross-entropy's: dx = p − t per row.
    const x = [0, -100, 3, -95, 50, -60, 0, 10];
    const t = [0, 0, 1, 0, 1, 0, 0, 0];
    const g = new Graph(17);
    g.inputs.push('x', 'v');
    g.values.set('x', { shape: [2, 4], dtype: 'float32' });
    g.values.set('v', { shape: [2, 4], dtype: 'float32' });
    const y = g.emit('LogSoftmax', ['x'], { axis: 1 }, [2, 4]);
    const targets = g.constant({ dtype: 'float32', dims: [2, 4], data: Float32Array.from(t) }, 't');
    const loss = g.emit('Neg', [g.emit('ReduceSum', [g.emit('Mul', [y, targets], {}, [2, 4])], { keepdims: 0 }, [])], {}, []);
    const dx = appendGradients(g, loss, ['x'], 'test').get('x')!;
    const hv = appendTangents(g, [...g.nodes], new Map([['x', 'v']]), 'test').get(dx)!;
    const session = await ort.InferenceSession.create(g.encode([dx, hv]));
    const v = [1, -1, 0.5, 2, -1, 1, 0.5, -2];
    const results = await session.run({ x: new ort.Tensor('float32', Float32Array.from(x), [2, 4]), v: new ort.Tensor('float32', Float32Array.from(v), [2, 4]) });
    await session.release();
    const p = logSoftmaxRows(Float64Array.from(x), 2, 4).map(Math.exp);
    const gradient = results[dx]!.data as Float32Array;
    const product = results[hv]!.data as Float32Array;
    for (let i = 0; i < 8; i++) {
      const row = Math.floor(i / 4);
      // H·v of cross-entropy in the logits: p ⊙ v − p·(p·v) per row.
      let pv = 0;
      for (let k = 0; k < 4; k++) pv += p[row * 4 + k]! * v[row * 4 + k]!;
      const exactProduct = p[i]! * v[i]! - p[i]! * pv;
      if (p[i]! < 1.6e-38) {
        expect([Math.abs(gradient[i]!), Math.abs(product[i]!)]).toEqual([0, 0]);
      } else {
        expect(Math.abs(gradient[i]! - (p[i]! - t[i]!))).toBeLessThanOrEqual(1e-6 * Math.max(1, p[i]!));
        expect(Math.abs(product[i]! - exactProduct)).toBeLessThanOrEqual(1e-6 * Math.max(1e-30, Math.abs(exactProduct)) + 1e-12);
      }
      for (const value of [gradient[i]!, product[i]!]) expect(value === 0 || Math.abs(value) >= 1.1754944e-38).toBe(true);
    }
  });
});
