import { intAttribute, type Graph, type Node } from '../graph.ts';
import type { OpRules } from '../rules.ts';
import { constantInts, expandTo, linearInFirstJvp, mul, normalizeAxis, reshape } from './support.ts';

/**
 * ReduceSum and ReduceMean (axes as an attribute before opset 18 for ReduceMean, as an input
 * otherwise; empty axes = all unless noop_with_empty_axes). The cotangent is spread back over
 * the reduced axes (divided by their count for the mean).
 */
export function reducedAxes(g: Graph, node: Node): number[] {
  const rank = g.shape(node.inputs[0]!).length;
  const attr = node.attributes.axes;
  const axes = Array.isArray(attr) ? attr : constantInts(g, node.inputs[1], 'axes');
  if (!axes || axes.length === 0) return intAttribute(node, 'noop_with_empty_axes', 0) ? [] : [...Array(rank).keys()];
  return axes.map((a) => normalizeAxis(a, rank));
}

export function spreadBack(g: Graph, node: Node, d: string): string {
  const x = node.inputs[0]!;
  const axes = reducedAxes(g, node);
  const kept = g.shape(x).map((s, i) => (axes.includes(i) ? 1 : s));
  return expandTo(g, reshape(g, d, kept), g.shape(x));
}

export const reduceSumRules: OpRules = {
  vjp: ({ g, node, dy }) => [spreadBack(g, node, dy[0]!)],
  jvp: ({ g, node, dx }) => linearInFirstJvp(g, node, dx),
};

export const reduceMeanRules: OpRules = {
  vjp: ({ g, node, dy }) => {
    const shape = g.shape(node.inputs[0]!);
    const count = reducedAxes(g, node).reduce((n, a) => n * shape[a]!, 1);
    return [mul(g, spreadBack(g, node, dy[0]!), g.scalar(1 / count))];
  },
  jvp: ({ g, node, dx }) => linearInFirstJvp(g, node, dx),
};
