import type { Graph, Node } from '../graph.ts';
import type { OpRules } from '../rules.ts';
import { expandTo, masked, sumOf, unbroadcast } from './support.ts';

/**
 * Max and Min (variadic, broadcast): the derivative flows to the input that is selected
 * (y = xᵢ). At ties, a kink, every tied input receives it.
 */
function selected(g: Graph, node: Node, i: number): string {
  const y = node.outputs[0]!;
  return g.emit('Equal', [node.inputs[i]!, y], {}, g.shape(y), 'bool');
}

export const maxRules: OpRules = {
  vjp: ({ g, node, dy, needs }) => node.inputs.map((x, i) => (needs[i] ? unbroadcast(g, masked(g, selected(g, node, i), dy[0]!), g.shape(x)) : null)),
  jvp: ({ g, node, dx }) => {
    const out = g.shape(node.outputs[0]!);
    return [sumOf(g, dx.map((d, i) => (d ? expandTo(g, masked(g, selected(g, node, i), d), out) : null)))];
  },
};
