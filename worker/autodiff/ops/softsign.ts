import type { Graph } from '../graph.ts';
import type { OpRules } from '../rules.ts';
import { add, div, mul } from './support.ts';

/** y = x / (1 + |x|), y' = 1 / (1 + |x|)². */
function derivativeTimes(g: Graph, x: string, d: string): string {
  const denominator = add(g, g.scalar(1), g.emit('Abs', [x], {}, g.shape(x)));
  return div(g, d, mul(g, denominator, denominator));
}

export const softsignRules: OpRules = {
  vjp: ({ g, node, dy }) => [derivativeTimes(g, node.inputs[0]!, dy[0]!)],
  jvp: ({ g, node, dx }) => [derivativeTimes(g, node.inputs[0]!, dx[0]!)],
};
