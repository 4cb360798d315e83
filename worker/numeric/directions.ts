import type { ParameterInfo } from '../../contract/parameters.ts';
import type { ResolvedDirectionOptions } from '../../contract/surface.ts';
import { normalizeDirection } from './normalize.ts';
import { gaussianStream } from './rng.ts';

function parameterCount(params: ParameterInfo[]): number {
  return params.reduce((end, p) => Math.max(end, p.offset + p.size), 0);
}

/**
 * One random direction over the flat parameter vector (method.md, "Directions").
 * Draws `size` normals for EVERY tensor in parameter order (even those then zeroed), so the
 * stream does not depend on mode/ignore. Then: mode 'weights' → non-trainable tensors (BN moving
 * stats) get 0; rank ≤ 1: ignore 'biasbn' → 0, 'none' → copy of θ; rank ≥ 2: normalizeDirection.
 */
export function randomDirection(
  params: ParameterInfo[],
  theta: Float32Array,
  normal: () => number,
  options: ResolvedDirectionOptions,
): Float32Array {
  const total = parameterCount(params);
  if (theta.length !== total) throw new Error(`θ has ${theta.length} values, the parameter model ${total}`);
  const direction = new Float32Array(total);
  for (const p of params) {
    const d = direction.subarray(p.offset, p.offset + p.size);
    for (let i = 0; i < d.length; i++) d[i] = normal();
  }
  for (const p of params) {
    const d = direction.subarray(p.offset, p.offset + p.size);
    const t = theta.subarray(p.offset, p.offset + p.size);
    if (options.mode === 'weights' && !p.trainable) d.fill(0);
    else if (p.shape.length <= 1) {
      if (options.ignore === 'biasbn') d.fill(0);
      else d.set(t);
    } else normalizeDirection(d, t, p, options.normalization);
  }
  return direction;
}

/** δ from gaussianStream(options.seed); η (2D) continues the SAME stream after δ. */
export function surfaceDirections(
  params: ParameterInfo[],
  theta: Float32Array,
  options: ResolvedDirectionOptions,
  dimensions: 1 | 2,
): { x: Float32Array; y: Float32Array | null } {
  const normal = gaussianStream(options.seed);
  const x = randomDirection(params, theta, normal, options);
  const y = dimensions === 2 ? randomDirection(params, theta, normal, options) : null;
  return { x, y };
}
