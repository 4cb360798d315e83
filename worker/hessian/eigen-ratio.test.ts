import { describe, expect, it } from 'vitest';
import { gaussianStream } from '../numeric/rng.ts';
import { extremeEigenvalues } from './eigen-ratio.ts';
import type { LinearOperator } from './hvp.ts';
import { lanczos } from './lanczos.ts';
import { symmetricEigen } from './symmetric-eigen.ts';

/** A random symmetric n×n matrix whose spectrum spreads over [low, high] plus an outlier. */
function randomSymmetric(n: number, seed: number): number[][] {
  const normal = gaussianStream(seed);
  const g = Array.from({ length: n }, () => Array.from({ length: n }, () => normal()));
  return g.map((row, i) => row.map((_, j) => (g[i]![j]! + g[j]![i]!) / 2 + (i === j ? (i === 0 ? 25 : 0) : 0)));
}

function operatorOf(m: number[][]): LinearOperator {
  return async (v) => Float32Array.from(m.map((row) => row.reduce((s, x, j) => s + x * v[j]!, 0)));
}

describe('lanczos', () => {
  it('finds both extreme eigenvalues of a dense symmetric matrix', async () => {
    const m = randomSymmetric(60, 3);
    const exact = symmetricEigen(m).values;
    const start = Float32Array.from({ length: 60 }, gaussianStream(9));
    const result = await lanczos(operatorOf(m), start, { maxSteps: 60, tolerance: 1e-6 });
    expect(result.converged).toBe(true);
    expect(result.largest).toBeCloseTo(exact[59]!, 3);
    expect(result.smallest).toBeCloseTo(exact[0]!, 3);
    expect(result.steps).toBeLessThan(60);
  });
});

describe('extremeEigenvalues', () => {
  it('matches the exact λmin and λmax of an indefinite matrix', async () => {
    const m = randomSymmetric(40, 5);
    const exact = symmetricEigen(m).values;
    const result = await extremeEigenvalues(operatorOf(m), 40, null, { lanczos: { maxSteps: 40, tolerance: 1e-6 } });
    expect(result.lambdaMax).toBeCloseTo(exact[39]!, 3);
    expect(result.lambdaMin).toBeCloseTo(exact[0]!, 3);
    expect(result.shift).toBeCloseTo(0.51 * exact[39]!, 3);
    expect(result.ratio).toBeCloseTo(exact[0]! / exact[39]!, 4);
  });

  it('finds λmin of a positive-definite operator (where the reference\'s largest-magnitude shift run would not)', async () => {
    const diagonal = Array.from({ length: 30 }, (_, i) => 1 + i / 29); // spectrum [1, 2]: λmin = 0.5·λmax
    const apply: LinearOperator = async (v) => Float32Array.from(v, (x, i) => x * diagonal[i]!);
    const result = await extremeEigenvalues(apply, 30, null, { lanczos: { maxSteps: 30, tolerance: 1e-7 } });
    expect(result.lambdaMax).toBeCloseTo(2, 4);
    expect(result.lambdaMin).toBeCloseTo(1, 4);
  });

  it('searches only the unmasked subspace', async () => {
    // Entry 0 (masked, eigenvalue −100) must not be found.
    const diagonal = [-100, 3, 1, -2, 0.5];
    const apply: LinearOperator = async (v) => Float32Array.from(v, (x, i) => x * diagonal[i]!);
    const result = await extremeEigenvalues(apply, 5, Uint8Array.from([0, 1, 1, 1, 1]), { lanczos: { maxSteps: 4, tolerance: 1e-8 } });
    expect(result.lambdaMax).toBeCloseTo(3, 5);
    expect(result.lambdaMin).toBeCloseTo(-2, 5);
  });
});
