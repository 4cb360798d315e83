import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { Graph } from '../graph.ts';
import { appendGradients } from '../reverse.ts';
import { checkOp } from './gradient-check.ts';

describe('Relu rules', () => {
  it('matches finite differences away from the kink', async () => {
    // |x| ≥ 0.2 everywhere: the ±1e-3 steps never cross 0.
    const x = Float64Array.from({ length: 12 }, (_, i) => (i % 2 ? 1 : -1) * (0.2 + 0.1 * i));
    const r = await checkOp({
      op: 'Relu',
      inputs: [{ name: 'x', shape: [3, 4], values: x }],
      outputShape: [3, 4],
      reference: ([a]) => a!.map((v) => Math.max(v, 0)),
    });
    expect(r.gradient).toBeLessThan(1e-4);
    expect(r.jvp).toBeLessThan(1e-4);
    expect(r.hvp).toBeLessThan(1e-3);
  });

  it('passes the cotangent exactly where the output is positive, however small (denormals too), and nowhere else', async () => {
    const x = Float32Array.from([1e-42, 1e-30, 0, -0, -1e-30, 2, Infinity, -Infinity]);
    const g = new Graph(17);
    g.inputs.push('x');
    g.values.set('x', { shape: [x.length], dtype: 'float32' });
    const loss = g.emit('ReduceSum', [g.emit('Relu', ['x'], {}, [x.length])], { keepdims: 0 }, []);
    const gradient = appendGradients(g, loss, ['x'], 'test').get('x')!;
    const session = await ort.InferenceSession.create(g.encode([gradient]));
    const result = await session.run({ x: new ort.Tensor('float32', x, [x.length]) });
    await session.release();
    expect(Array.from(result[gradient]!.data as Float32Array, (v) => v + 0)).toEqual([1, 1, 0, 0, 0, 1, 1, 0]);
  });
});
