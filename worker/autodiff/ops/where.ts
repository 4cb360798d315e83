import type { OpRules } from '../rules.ts';
import { broadcastShape, expandTo, unbroadcast } from './support.ts';

/** y = condition ? a : b (broadcast; the condition is not differentiable). */
export const whereRules: OpRules = {
  vjp: ({ g, node, dy, needs }) => {
    const [c, a, b] = node.inputs as [string, string, string];
    const d = dy[0]!;
    const zero = g.scalar(0);
    const out = g.shape(d);
    return [
      null,
      needs[1] ? unbroadcast(g, g.emit('Where', [c, d, zero], {}, out), g.shape(a)) : null,
      needs[2] ? unbroadcast(g, g.emit('Where', [c, zero, d], {}, out), g.shape(b)) : null,
    ];
  },
  jvp: ({ g, node, dx }) => {
    const [c] = node.inputs as [string];
    const zero = g.scalar(0);
    const ta = dx[1] ?? zero;
    const tb = dx[2] ?? zero;
    const y = g.emit('Where', [c, ta, tb], {}, broadcastShape(g.shape(c), g.shape(ta), g.shape(tb)));
    return [expandTo(g, y, g.shape(node.outputs[0]!))];
  },
};
