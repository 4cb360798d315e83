import seedrandom from 'seedrandom';

/**
 * Seeded random numbers generated in plain JS, so a seed gives the same directions on every
 * machine and engine (backend RNGs differ and carry hidden state). Recorded in provenance.
 */
export const GAUSSIAN_RNG = 'seedrandom alea (seed as decimal string) + Box–Muller, both outputs used, cos first';

/** Uniform numbers in [0, 1) with 2^-32 resolution, from seedrandom's alea seeded with String(seed). */
export function uniformStream(seed: number): () => number {
  return seedrandom.alea(String(seed));
}

/**
 * Standard normal numbers by Box–Muller over uniformStream(seed): each pair of uniforms (u1, u2)
 * gives r·cos(2πu2) and then r·sin(2πu2), with r = sqrt(−2 ln(1 − u1)) (1 − u1 ∈ (0, 1], so no log 0).
 */
export function gaussianStream(seed: number): () => number {
  const uniform = uniformStream(seed);
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const value = spare;
      spare = null;
      return value;
    }
    const radius = Math.sqrt(-2 * Math.log(1 - uniform()));
    const angle = 2 * Math.PI * uniform();
    spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  };
}
