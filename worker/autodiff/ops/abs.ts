import type { OpRules } from '../rules.ts';
import { mul } from './support.ts';

/** y = |x|, y' = sign x (0 at 0). */
export const absRules: OpRules = {
  vjp: ({ g, node, dy }) => [mul(g, dy[0]!, g.emit('Sign', [node.inputs[0]!], {}, g.shape(node.inputs[0]!)))],
  jvp: ({ g, node, dx }) => [mul(g, dx[0]!, g.emit('Sign', [node.inputs[0]!], {}, g.shape(node.inputs[0]!)))],
};

/** sign x: piecewise constant, so every derivative is 0 (a null tangent or cotangent). */
export const signRules: OpRules = {
  vjp: () => [null],
  jvp: () => [null],
};
