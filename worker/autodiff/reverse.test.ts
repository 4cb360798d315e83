import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { Graph } from './graph.ts';
import { mul } from './ops/support.ts';
import { appendGradients } from './reverse.ts';

describe('reverse mode over a composite', () => {
  it("sends the output's cotangent to the composite's inputs by its own rule, not through its parts", async () => {
    const g = new Graph(17);
    for (const name of ['a', 'b']) {
      g.inputs.push(name);
      g.values.set(name, { shape: [3], dtype: 'float32' });
    }
    // y = exp(a) + b, whose reverse rule is declared (deliberately not the true one) as (2·dy, 3·dy).
    const y = g.emit('Add', [g.emit('Exp', ['a'], {}, [3]), 'b'], {}, [3]);
    g.composites.set(y, { inputs: ['a', 'b'], vjp: ({ g, dy, needs }) => [needs[0] ? mul(g, dy, g.scalar(2)) : null, needs[1] ? mul(g, dy, g.scalar(3)) : null] });
    const w = g.constant({ dtype: 'float32', dims: [3], data: new Float32Array([1, -2, 0.5]) }, 'w');
    const loss = g.emit('ReduceSum', [mul(g, y, w)], { keepdims: 0 }, []);
    const gradients = appendGradients(g, loss, ['a', 'b'], 'test');
    const outputs = [gradients.get('a')!, gradients.get('b')!];
    const session = await ort.InferenceSession.create(g.encode(outputs));
    const feed = (values: number[]) => new ort.Tensor('float32', Float32Array.from(values), [3]);
    const results = await session.run({ a: feed([0.1, 0.2, 0.3]), b: feed([1, 1, 1]) });
    await session.release();
    expect(Array.from(results[outputs[0]!]!.data as Float32Array)).toEqual([2, -4, 1]);
    expect(Array.from(results[outputs[1]!]!.data as Float32Array)).toEqual([3, -6, 1.5]);
  });
});
