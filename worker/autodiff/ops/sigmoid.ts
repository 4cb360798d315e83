import type { Graph } from '../graph.ts';
import type { OpRules } from '../rules.ts';
import { mul, sub } from './support.ts';

/** y = σ(x), y' = y − y². */
function derivative(g: Graph, y: string): string {
  return sub(g, y, mul(g, y, y));
}

export const sigmoidRules: OpRules = {
  vjp: ({ g, node, dy }) => [mul(g, dy[0]!, derivative(g, node.outputs[0]!))],
  jvp: ({ g, node, dx }) => [mul(g, dx[0]!, derivative(g, node.outputs[0]!))],
};
