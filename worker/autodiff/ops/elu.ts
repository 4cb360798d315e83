import { floatAttribute, type Graph, type Node } from '../graph.ts';
import type { OpRules } from '../rules.ts';
import { add, greater, mul } from './support.ts';

/**
 * Elu y = x > 0 ? x : α(eˣ − 1), y' = x > 0 ? 1 : y + α; Selu is γ·Elu with its α, y' = x > 0 ? γ : y + γα.
 */
function derivativeTimes(g: Graph, node: Node, d: string, selu: boolean): string {
  const x = node.inputs[0]!;
  const y = node.outputs[0]!;
  const alpha = floatAttribute(node, 'alpha', selu ? 1.67326319217681884765625 : 1);
  const gamma = selu ? floatAttribute(node, 'gamma', 1.05070102214813232421875) : 1;
  const negative = mul(g, d, add(g, y, g.scalar(gamma * alpha)));
  const positive = gamma === 1 ? d : mul(g, d, g.scalar(gamma));
  return g.emit('Where', [greater(g, x, g.scalar(0)), positive, negative], {}, g.shape(x));
}

export const eluRules: OpRules = {
  vjp: ({ g, node, dy }) => [derivativeTimes(g, node, dy[0]!, false)],
  jvp: ({ g, node, dx }) => [derivativeTimes(g, node, dx[0]!, false)],
};

export const seluRules: OpRules = {
  vjp: ({ g, node, dy }) => [derivativeTimes(g, node, dy[0]!, true)],
  jvp: ({ g, node, dx }) => [derivativeTimes(g, node, dx[0]!, true)],
};
