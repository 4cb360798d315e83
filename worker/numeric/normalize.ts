import { filterIndexFn, type ParameterInfo } from '../../contract/parameters.ts';
import type { Normalization } from '../../contract/surface.ts';
import { filterNorms } from './filter-norms.ts';
import { norm } from './vector.ts';

/** Guards the filter-wise divisions (method.md); layer/dlayer divide by the plain norm as the reference does. */
export const NORMALIZATION_EPSILON = 1e-10;

/**
 * Normalize one tensor's direction in place (method.md, "Directions"). `direction` and `theta`
 * hold exactly this tensor's elements (e.g. subarrays at param.offset).
 * - filter: d_i ← d_i·‖θ_i‖/(‖d_i‖+ε)   - layer: d ← d·‖θ‖/‖d‖   - weight: d ← d⊙θ
 * - dfilter: d_i ← d_i/(‖d_i‖+ε)        - dlayer: d ← d/‖d‖      - none: unchanged
 */
export function normalizeDirection(
  direction: Float32Array,
  theta: Float32Array,
  param: Pick<ParameterInfo, 'shape' | 'filterAxes'>,
  normalization: Normalization,
): void {
  if (direction.length !== theta.length) throw new Error(`direction has ${direction.length} values, θ has ${theta.length}`);
  switch (normalization) {
    case 'filter':
    case 'dfilter': {
      const directionNorms = filterNorms(direction, param);
      const scales = normalization === 'filter' ? filterNorms(theta, param) : directionNorms.map(() => 1);
      for (let f = 0; f < scales.length; f++) scales[f] = scales[f]! / (directionNorms[f]! + NORMALIZATION_EPSILON);
      const filterOf = filterIndexFn(param);
      for (let i = 0; i < direction.length; i++) direction[i] = direction[i]! * scales[filterOf(i)]!;
      return;
    }
    case 'layer':
    case 'dlayer': {
      const scale = (normalization === 'layer' ? norm(theta) : 1) / norm(direction);
      for (let i = 0; i < direction.length; i++) direction[i] = direction[i]! * scale;
      return;
    }
    case 'weight':
      for (let i = 0; i < direction.length; i++) direction[i] = direction[i]! * theta[i]!;
      return;
    case 'none':
      return;
  }
}
