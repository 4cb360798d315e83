import type { OpRules } from '../rules.ts';

/** ⌈x⌉ (and ⌊x⌋): piecewise constant, so every derivative is 0 (a null tangent or cotangent). */
export const ceilRules: OpRules = {
  vjp: () => [null],
  jvp: () => [null],
};
