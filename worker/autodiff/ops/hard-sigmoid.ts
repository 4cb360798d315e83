import { floatAttribute, type Graph, type Node } from '../graph.ts';
import type { OpRules } from '../rules.ts';
import { add, greater, masked, mul } from './support.ts';

/**
 * HardSigmoid y = max(0, min(1, αx + β)): y' = α strictly inside (0, 1). HardSwish
 * y = x·h(x) with h = HardSigmoid(α = 1/6, β = 1/2): y' = h(x) + x·h'(x).
 */
function inside(g: Graph, x: string, alpha: number, beta: number): string {
  const z = add(g, mul(g, x, g.scalar(alpha)), g.scalar(beta));
  const above = greater(g, z, g.scalar(0));
  const below = g.emit('Less', [z, g.scalar(1)], {}, g.shape(z), 'bool');
  return g.emit('And', [above, below], {}, g.shape(z), 'bool');
}

function hardSigmoidTimes(g: Graph, node: Node, d: string): string {
  const alpha = floatAttribute(node, 'alpha', 0.2);
  const beta = floatAttribute(node, 'beta', 0.5);
  return mul(g, masked(g, inside(g, node.inputs[0]!, alpha, beta), d), g.scalar(alpha));
}

function hardSwishTimes(g: Graph, node: Node, d: string): string {
  const x = node.inputs[0]!;
  const h = g.emit('HardSigmoid', [x], { alpha: { float: 1 / 6 }, beta: { float: 0.5 } }, g.shape(x));
  const slope = masked(g, inside(g, x, 1 / 6, 0.5), mul(g, x, g.scalar(1 / 6)));
  return mul(g, d, add(g, h, slope));
}

export const hardSigmoidRules: OpRules = {
  vjp: ({ g, node, dy }) => [hardSigmoidTimes(g, node, dy[0]!)],
  jvp: ({ g, node, dx }) => [hardSigmoidTimes(g, node, dx[0]!)],
};

export const hardSwishRules: OpRules = {
  vjp: ({ g, node, dy }) => [hardSwishTimes(g, node, dy[0]!)],
  jvp: ({ g, node, dx }) => [hardSwishTimes(g, node, dx[0]!)],
};
