import type { OpRules } from '../rules.ts';
import { div, expandTo, mul, neg, sub, unbroadcast } from './support.ts';

/** y = a / b (broadcast). ∂y/∂a = 1/b, ∂y/∂b = −y/b. */
export const divRules: OpRules = {
  vjp: ({ g, node, dy, needs }) => {
    const [a, b] = node.inputs as [string, string];
    const y = node.outputs[0]!;
    const scaled = div(g, dy[0]!, b);
    return [needs[0] ? unbroadcast(g, scaled, g.shape(a)) : null, needs[1] ? unbroadcast(g, neg(g, mul(g, scaled, y)), g.shape(b)) : null];
  },
  jvp: ({ g, node, dx }) => {
    const [, b] = node.inputs as [string, string];
    const y = node.outputs[0]!;
    const [da, db] = dx;
    const numerator = da && db ? sub(g, da, mul(g, y, db)) : da ? da : neg(g, mul(g, y, db!));
    return [expandTo(g, div(g, numerator, b), g.shape(y))];
  },
};
