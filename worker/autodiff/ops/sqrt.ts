import type { OpRules } from '../rules.ts';
import { div, mul } from './support.ts';

/** y = √x, y' = 1 / (2y). */
export const sqrtRules: OpRules = {
  vjp: ({ g, node, dy }) => [div(g, mul(g, dy[0]!, g.scalar(0.5)), node.outputs[0]!)],
  jvp: ({ g, node, dx }) => [div(g, mul(g, dx[0]!, g.scalar(0.5)), node.outputs[0]!)],
};
