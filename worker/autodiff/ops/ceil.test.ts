import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { appendTangents } from '../forward.ts';
import { Graph } from '../graph.ts';
import { appendGradients } from '../reverse.ts';

/**
 * A piecewise-constant operator has no output tangent to check against finite differences, so it
 * is checked inside L = Σ x ⊙ op(x): away from the integers ∂L/∂x = op(x) exactly (the rule's zero
 * adds nothing), and H·v = 0 (its tangent is a null, never a materialized term).
 */
describe('Ceil and Floor rules', () => {
  for (const [op, f] of [['Ceil', Math.ceil], ['Floor', Math.floor]] as const) {
    it(`${op}: zero derivative inside L = Σ x ⊙ ${op}(x)`, async () => {
      const x = Float32Array.from({ length: 6 }, (_, i) => i - 3 + 0.2 + 0.1 * i);
      const g = new Graph(17);
      g.inputs.push('x', 'v');
      g.values.set('x', { shape: [6], dtype: 'float32' });
      g.values.set('v', { shape: [6], dtype: 'float32' });
      const stepped = g.emit(op, ['x'], {}, [6]);
      const loss = g.emit('ReduceSum', [g.emit('Mul', ['x', stepped], {}, [6])], { keepdims: 0 }, []);
      const gradient = appendGradients(g, loss, ['x'], 'test').get('x')!;
      const product = appendTangents(g, [...g.nodes], new Map([['x', 'v']]), 'test').get(gradient!);
      const session = await ort.InferenceSession.create(g.encode([gradient!]));
      const result = await session.run({ x: new ort.Tensor('float32', x, [6]), v: new ort.Tensor('float32', new Float32Array(6).fill(1), [6]) });
      await session.release();
      expect(Array.from(result[gradient!]!.data as Float32Array)).toEqual(Array.from(x, (v) => f(v)));
      // d/dx (Σ x ⊙ op(x)) = op(x) + x ⊙ op'(x): its tangent along v is op'(x) ⊙ v = 0.
      expect(product).toBeUndefined();
    });
  }
});
