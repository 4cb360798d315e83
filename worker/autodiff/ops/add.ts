import type { OpRules } from '../rules.ts';
import { addOrNull, expandTo, unbroadcast } from './support.ts';

/** y = a + b (broadcast). */
export const addRules: OpRules = {
  vjp: ({ g, node, dy, needs }) => node.inputs.map((x, i) => (needs[i] ? unbroadcast(g, dy[0]!, g.shape(x)) : null)),
  jvp: ({ g, node, dx }) => [expandTo(g, addOrNull(g, dx[0] ?? null, dx[1] ?? null)!, g.shape(node.outputs[0]!))],
};
