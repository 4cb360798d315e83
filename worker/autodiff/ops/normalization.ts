import { floatAttribute, intAttribute, type Graph } from '../graph.ts';
import type { OpRules } from '../rules.ts';
import { add, div, mul, normalizeAxis, reduceSumKeep, reshape, sub } from './support.ts';

/**
 * InstanceNormalization and LayerNormalization, lowered to elementary operators: x normalized
 * with its mean and biased variance over the normalized axes, then scaled and shifted.
 */
function normalize(g: Graph, x: string, axes: number[], epsilon: number): string {
  const shape = g.shape(x);
  const inverseCount = g.scalar(1 / axes.reduce((n, a) => n * shape[a]!, 1));
  const mean = mul(g, reduceSumKeep(g, x, axes), inverseCount);
  const centered = sub(g, x, mean);
  const variance = mul(g, reduceSumKeep(g, mul(g, centered, centered), axes), inverseCount);
  const std = g.emit('Sqrt', [add(g, variance, g.scalar(epsilon))], {}, g.shape(variance));
  return div(g, centered, std);
}

export const instanceNormalizationRules: OpRules = {
  lower({ g, node }) {
    const [x, scale, bias] = node.inputs as [string, string, string];
    const shape = g.shape(x);
    const perChannel = [shape[1]!, ...shape.slice(2).map(() => 1)];
    const normalized = normalize(g, x, shape.slice(2).map((_, i) => i + 2), floatAttribute(node, 'epsilon', 1e-5));
    return [add(g, mul(g, normalized, reshape(g, scale, perChannel)), reshape(g, bias, perChannel))];
  },
};

export const layerNormalizationRules: OpRules = {
  lower({ g, node }) {
    const [x, scale, bias] = node.inputs as [string, string, string | undefined];
    const shape = g.shape(x);
    const axis = normalizeAxis(intAttribute(node, 'axis', -1), shape.length);
    const axes = shape.map((_, i) => i).filter((i) => i >= axis);
    const normalized = normalize(g, x, axes, floatAttribute(node, 'epsilon', 1e-5));
    const scaled = mul(g, normalized, scale);
    return [bias ? add(g, scaled, bias) : scaled];
  },
};
