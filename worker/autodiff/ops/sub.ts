import type { OpRules } from '../rules.ts';
import { expandTo, neg, sub, unbroadcast } from './support.ts';

/** y = a − b (broadcast). */
export const subRules: OpRules = {
  vjp: ({ g, node, dy, needs }) => [
    needs[0] ? unbroadcast(g, dy[0]!, g.shape(node.inputs[0]!)) : null,
    needs[1] ? unbroadcast(g, neg(g, dy[0]!), g.shape(node.inputs[1]!)) : null,
  ],
  jvp: ({ g, node, dx }) => {
    const [da, db] = dx;
    const d = da && db ? sub(g, da, db) : da ? da : neg(g, db!);
    return [expandTo(g, d, g.shape(node.outputs[0]!))];
  },
};
