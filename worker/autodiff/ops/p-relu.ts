import type { OpRules } from '../rules.ts';
import { addOrNull, expandTo, greater, masked, mul, unbroadcast } from './support.ts';

/** y = x > 0 ? x : s·x (slope s broadcast, e.g. per channel): ∂y/∂x = x > 0 ? 1 : s, ∂y/∂s = x > 0 ? 0 : x. */
export const pReluRules: OpRules = {
  vjp: ({ g, node, dy, needs }) => {
    const [x, s] = node.inputs as [string, string];
    const positive = greater(g, x, g.scalar(0));
    const negative = g.emit('Not', [positive], {}, g.shape(positive), 'bool');
    const d = dy[0]!;
    return [
      needs[0] ? g.emit('Add', [masked(g, positive, d), masked(g, negative, mul(g, d, s))], {}, g.shape(x)) : null,
      needs[1] ? unbroadcast(g, masked(g, negative, mul(g, d, x)), g.shape(s)) : null,
    ];
  },
  jvp: ({ g, node, dx }) => {
    const [x, s] = node.inputs as [string, string];
    const out = g.shape(node.outputs[0]!);
    const positive = greater(g, x, g.scalar(0));
    const negative = g.emit('Not', [positive], {}, g.shape(positive), 'bool');
    const fromX = dx[0] ? g.emit('Add', [masked(g, positive, dx[0]), masked(g, negative, mul(g, dx[0], s))], {}, out) : null;
    const fromSlope = dx[1] ? expandTo(g, masked(g, negative, mul(g, dx[1], x)), out) : null;
    return [addOrNull(g, fromX, fromSlope)];
  },
};
