import { describe, expect, it } from 'vitest';
import { adam } from './adam.ts';

/** The textbook Adam (Kingma & Ba, ε outside the root of the bias-corrected v̂) in float64. */
function reference(theta: number[], gradients: number[][], rate: number, beta1: number, beta2: number, epsilon: number): number[] {
  const t = [...theta];
  const m = t.map(() => 0);
  const v = t.map(() => 0);
  gradients.forEach((g, step) => {
    for (let i = 0; i < t.length; i++) {
      m[i] = beta1 * m[i]! + (1 - beta1) * g[i]!;
      v[i] = beta2 * v[i]! + (1 - beta2) * g[i]! ** 2;
      const mHat = m[i]! / (1 - beta1 ** (step + 1));
      const vHat = v[i]! / (1 - beta2 ** (step + 1));
      t[i]! -= (rate * mHat) / (Math.sqrt(vHat) + epsilon);
    }
  });
  return t;
}

describe('adam', () => {
  it('three steps equal the float64 update (bias correction included); masked entries stay', () => {
    const theta0 = [0.5, -1.25, 2, 0.1];
    const gradients = [[0.3, -0.2, 1.5, 7], [0.1, 0.4, -0.9, 7], [-0.25, 0.05, 1e-4, 7]];
    const spec = { name: 'adam', learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 } as const;
    const theta = Float32Array.from(theta0);
    const optimizer = adam(spec, new Uint8Array([1, 1, 1, 0]));
    for (const g of gradients) optimizer.step(theta, Float32Array.from(g), spec.learningRate);
    const expected = reference(theta0.slice(0, 3), gradients.map((g) => g.slice(0, 3)), spec.learningRate, spec.beta1, spec.beta2, spec.epsilon);
    expected.forEach((e, i) => expect(Math.abs(theta[i]! - e)).toBeLessThan(2e-6 * Math.max(1, Math.abs(e))));
    // The first step moves every entry by about lr (m̂/√v̂ = ±1): the reference is not trivially near θ0.
    expect(Math.abs(theta[0]! - 0.5)).toBeGreaterThan(0.02);
    expect(theta[3]).toBe(Math.fround(0.1));
  });
});
