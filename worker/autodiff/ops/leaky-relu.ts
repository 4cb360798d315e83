import { floatAttribute, type Graph, type Node } from '../graph.ts';
import type { OpRules } from '../rules.ts';
import { greater, mul } from './support.ts';

/** y = x > 0 ? x : αx (α default 0.01). */
function rule(g: Graph, node: Node, d: string): string {
  const x = node.inputs[0]!;
  const alpha = floatAttribute(node, 'alpha', 0.01);
  return g.emit('Where', [greater(g, x, g.scalar(0)), d, mul(g, d, g.scalar(alpha))], {}, g.shape(x));
}

export const leakyReluRules: OpRules = {
  vjp: ({ g, node, dy }) => [rule(g, node, dy[0]!)],
  jvp: ({ g, node, dx }) => [rule(g, node, dx[0]!)],
};
