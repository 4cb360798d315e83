import type { ResolvedOptimizer } from '../../../contract/training.ts';
import type { Optimizer } from './index.ts';
import { maskedIndices } from './masked-indices.ts';

const f = Math.fround;

/**
 * Adam as tfjs-core's AdamOptimizer (Keras form, ε outside the square root of the bias-corrected
 * second moment): m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²; θ ← θ − lr·(m/(1−β1ᵗ)) / (√(v/(1−β2ᵗ)) + ε).
 * β1ᵗ, β2ᵗ are float32 running products as tfjs keeps them. PyTorch's Adam has the same update.
 */
export function adam(spec: Extract<ResolvedOptimizer, { name: 'adam' }>, mask: Uint8Array): Optimizer {
  const indices = maskedIndices(mask);
  const beta1 = f(spec.beta1);
  const beta2 = f(spec.beta2);
  const oneMinusBeta1 = f(1 - spec.beta1);
  const oneMinusBeta2 = f(1 - spec.beta2);
  const epsilon = f(spec.epsilon);
  const first = new Float32Array(mask.length);
  const second = new Float32Array(mask.length);
  let beta1Power = beta1;
  let beta2Power = beta2;
  return {
    step(theta, gradient, learningRate) {
      const correction1 = f(1 - beta1Power);
      const correction2 = f(1 - beta2Power);
      const negativeRate = f(-learningRate);
      for (const i of indices) {
        const g = gradient[i]!;
        const m = f(f(first[i]! * beta1) + f(g * oneMinusBeta1));
        const v = f(f(second[i]! * beta2) + f(f(g * g) * oneMinusBeta2));
        first[i] = m;
        second[i] = v;
        const corrected = f(f(m / correction1) / f(f(Math.sqrt(f(v / correction2))) + epsilon));
        theta[i] = f(f(corrected * negativeRate) + theta[i]!);
      }
      beta1Power = f(beta1Power * beta1);
      beta2Power = f(beta2Power * beta2);
    },
  };
}
