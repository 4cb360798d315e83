import { uniformStream } from './rng.ts';

/**
 * Seeded choice of `count` distinct indices in [0, splitSize), sorted ascending; all indices when
 * count = splitSize, and an error when count > splitSize (the API refuses such a request with a
 * 400 naming dataset.samples, so a larger count here is a bug upstream). A partial Fisher–Yates shuffle driven by uniformStream(seed): step i swaps
 * position i with i + ⌊u·(splitSize − i)⌋, and the first `count` positions are the choice.
 */
export function selectSamples(splitSize: number, count: number, seed: number): Int32Array {
  if (!Number.isInteger(splitSize) || splitSize < 0) throw new Error(`split size ${splitSize} is not a count`);
  if (!Number.isInteger(count) || count < 0) throw new Error(`sample count ${count} is not a count`);
  if (count > splitSize) throw new Error(`cannot choose ${count} samples from a split of ${splitSize}`);
  const pool = new Int32Array(splitSize);
  for (let i = 0; i < splitSize; i++) pool[i] = i;
  if (count >= splitSize) return pool;
  const uniform = uniformStream(seed);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(uniform() * (splitSize - i));
    const chosen = pool[j]!;
    pool[j] = pool[i]!;
    pool[i] = chosen;
  }
  return pool.slice(0, count).sort();
}
