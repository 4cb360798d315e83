import type { OpRules } from '../rules.ts';
import { mul } from './support.ts';

/** y = eˣ, y' = y. */
export const expRules: OpRules = {
  vjp: ({ g, node, dy }) => [mul(g, dy[0]!, node.outputs[0]!)],
  jvp: ({ g, node, dx }) => [mul(g, dx[0]!, node.outputs[0]!)],
};
