import type { OpRules } from '../rules.ts';
import { broadcastShape, expandTo, masked, unbroadcast } from './support.ts';

/** y = condition ? a : b (broadcast; the condition is not differentiable). Zero branches become masks (see masked). */
export const whereRules: OpRules = {
  vjp: ({ g, node, dy, needs }) => {
    const [c, a, b] = node.inputs as [string, string, string];
    const d = dy[0]!;
    return [
      null,
      needs[1] ? unbroadcast(g, masked(g, c, d), g.shape(a)) : null,
      needs[2] ? unbroadcast(g, masked(g, g.emit('Not', [c], {}, g.shape(c), 'bool'), d), g.shape(b)) : null,
    ];
  },
  jvp: ({ g, node, dx }) => {
    const [c] = node.inputs as [string];
    const [, ta, tb] = dx;
    const y = ta && tb
      ? g.emit('Where', [c, ta, tb], {}, broadcastShape(g.shape(c), g.shape(ta), g.shape(tb)))
      : ta ? masked(g, c, ta) : masked(g, g.emit('Not', [c], {}, g.shape(c), 'bool'), tb!);
    return [expandTo(g, y, g.shape(node.outputs[0]!))];
  },
};
