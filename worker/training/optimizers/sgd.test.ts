import { describe, expect, it } from 'vitest';
import { sgd } from './sgd.ts';

/** Three steps of the textbook update in float64 (v ← μv + g; θ ← θ − lr·(g + μv) or θ − lr·v). */
function reference(theta: number[], gradients: number[][], rates: number[], momentum: number, nesterov: boolean): number[] {
  const t = [...theta];
  const v = t.map(() => 0);
  gradients.forEach((g, step) => {
    for (let i = 0; i < t.length; i++) {
      v[i] = momentum * v[i]! + g[i]!;
      t[i]! -= rates[step]! * (nesterov ? g[i]! + momentum * v[i]! : v[i]!);
    }
  });
  return t;
}

const theta0 = [0.5, -1.25, 2, 0.1];
const gradients = [[0.3, -0.2, 1.5, 7], [0.1, 0.4, -0.9, 7], [-0.25, 0.05, 0.6, 7]];
const rates = [0.1, 0.05, 0.05];
const mask = new Uint8Array([1, 1, 1, 0]);

describe('sgd', () => {
  for (const [momentum, nesterov] of [[0, false], [0.9, false], [0.9, true]] as const) {
    it(`momentum ${momentum}${nesterov ? ' Nesterov' : ''}: three steps equal the float64 update; masked entries stay`, () => {
      const theta = Float32Array.from(theta0);
      const optimizer = sgd({ name: 'sgd', learningRate: rates[0]!, momentum, nesterov }, mask);
      gradients.forEach((g, step) => optimizer.step(theta, Float32Array.from(g), rates[step]!));
      const expected = reference(theta0.slice(0, 3), gradients.map((g) => g.slice(0, 3)), rates, momentum, nesterov);
      expected.forEach((e, i) => expect(Math.abs(theta[i]! - e)).toBeLessThan(1e-6 * Math.max(1, Math.abs(e))));
      expect(theta[3]).toBe(Math.fround(0.1));
    });
  }

  it('Nesterov and heavy-ball momentum differ after the first step', () => {
    const a = Float32Array.from(theta0);
    const b = Float32Array.from(theta0);
    const nesterov = sgd({ name: 'sgd', learningRate: 0.1, momentum: 0.9, nesterov: true }, mask);
    const heavyBall = sgd({ name: 'sgd', learningRate: 0.1, momentum: 0.9, nesterov: false }, mask);
    nesterov.step(a, Float32Array.from(gradients[0]!), 0.1);
    heavyBall.step(b, Float32Array.from(gradients[0]!), 0.1);
    expect(Array.from(a)).not.toEqual(Array.from(b));
  });
});
