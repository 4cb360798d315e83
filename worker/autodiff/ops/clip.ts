import type { Graph, Node } from '../graph.ts';
import type { OpRules } from '../rules.ts';
import { greater, masked } from './support.ts';

/** y = min(max(x, lo), hi) (bounds as inputs, opset ≥ 11): the derivative is 1 strictly inside the bounds. */
function inside(g: Graph, node: Node): string | null {
  const [x, lo, hi] = node.inputs;
  let condition: string | null = null;
  const both = (c: string) => (condition ? g.emit('And', [condition, c], {}, g.shape(x!), 'bool') : c);
  if (lo) condition = both(greater(g, x!, lo));
  if (hi) condition = both(g.emit('Less', [x!, hi], {}, g.shape(x!), 'bool'));
  return condition;
}

function rule(g: Graph, node: Node, d: string): string {
  const condition = inside(g, node);
  return condition ? masked(g, condition, d) : d;
}

export const clipRules: OpRules = {
  vjp: ({ g, node, dy }) => [rule(g, node, dy[0]!), null, null],
  jvp: ({ g, node, dx }) => [dx[0] ? rule(g, node, dx[0]) : null],
};
