import type { ResolvedOptimizer } from '../../../contract/training.ts';
import type { Optimizer } from './index.ts';
import { maskedIndices } from './masked-indices.ts';

const f = Math.fround;

/**
 * SGD with optional (Nesterov) momentum, as tfjs-core's SGDOptimizer / MomentumOptimizer and
 * PyTorch's SGD with dampening 0: v ← μv + g; θ ← θ − lr·v, or with Nesterov θ ← θ − lr·(g + μv).
 * The velocity starts at 0. Plain SGD (μ = 0) keeps no state: θ ← θ − lr·g.
 */
export function sgd(spec: Extract<ResolvedOptimizer, { name: 'sgd' }>, mask: Uint8Array): Optimizer {
  const indices = maskedIndices(mask);
  const momentum = f(spec.momentum);
  const velocity = momentum === 0 ? null : new Float32Array(mask.length);
  return {
    step(theta, gradient, learningRate) {
      const negativeRate = f(-learningRate);
      for (const i of indices) {
        const g = gradient[i]!;
        if (!velocity) {
          theta[i] = f(theta[i]! + f(negativeRate * g));
          continue;
        }
        const v = f(f(momentum * velocity[i]!) + g);
        velocity[i] = v;
        const direction = spec.nesterov ? f(g + f(v * momentum)) : v;
        theta[i] = f(f(negativeRate * direction) + theta[i]!);
      }
    },
  };
}
