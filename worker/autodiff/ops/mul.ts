import type { OpRules } from '../rules.ts';
import { addOrNull, expandTo, mul, unbroadcast } from './support.ts';

/** y = a · b (broadcast). */
export const mulRules: OpRules = {
  vjp: ({ g, node, dy, needs }) => {
    const [a, b] = node.inputs as [string, string];
    return [needs[0] ? unbroadcast(g, mul(g, dy[0]!, b), g.shape(a)) : null, needs[1] ? unbroadcast(g, mul(g, dy[0]!, a), g.shape(b)) : null];
  },
  jvp: ({ g, node, dx }) => {
    const [a, b] = node.inputs as [string, string];
    const out = g.shape(node.outputs[0]!);
    const ta = dx[0] ? expandTo(g, mul(g, dx[0], b), out) : null;
    const tb = dx[1] ? expandTo(g, mul(g, a, dx[1]), out) : null;
    return [addOrNull(g, ta, tb)];
  },
};
