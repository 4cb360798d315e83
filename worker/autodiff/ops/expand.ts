import type { OpRules } from '../rules.ts';
import { expandTo, unbroadcast } from './support.ts';

/** y = x broadcast to a shape. */
export const expandRules: OpRules = {
  vjp: ({ g, node, dy }) => [unbroadcast(g, dy[0]!, g.shape(node.inputs[0]!))],
  jvp: ({ g, node, dx }) => [expandTo(g, dx[0]!, g.shape(node.outputs[0]!))],
};
