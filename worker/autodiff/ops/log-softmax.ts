import { intAttribute, type Graph } from '../graph.ts';
import type { OpRules } from '../rules.ts';
import { greater, masked, mul, normalizeAxis, reduceSumKeep, sub } from './support.ts';

/** y = x − log Σ eˣ along one axis; p = eʸ. dx = dy − p·Σ dy; ẏ = ẋ − Σ p ⊙ ẋ. */
function axisOf(node: Parameters<NonNullable<OpRules['jvp']>>[0]['node'], rank: number): number {
  return normalizeAxis(intAttribute(node, 'axis', -1), rank);
}

/**
 * p = eʸ, 0 where y ≤ −87, that is where p falls below 1.6e−38, the bottom of float32's normal
 * range. Far from θ* a confident sample's other classes underflow to subnormals; as the
 * cross-entropy's cotangents they would run the whole backward pass (and the H·v's) on subnormal
 * operands, which x86 multiplies many times slower (a Hessian-map point of W1: 20 products
 * 10.5 → 6.2 s). Gradient and product differ from the exact ones by less than 1.6e−38 per
 * class. (onnxruntime's Sigmoid is 0 from about x = −20 on, so the log-sigmoid BCE needs no such
 * flush.)
 */
function probabilities(g: Graph, y: string): string {
  return masked(g, greater(g, y, g.scalar(-87)), g.emit('Exp', [y], {}, g.shape(y)));
}

export const logSoftmaxRules: OpRules = {
  vjp: ({ g, node, dy }) => {
    const y = node.outputs[0]!;
    const p = probabilities(g, y);
    return [sub(g, dy[0]!, mul(g, p, reduceSumKeep(g, dy[0]!, [axisOf(node, g.shape(y).length)])))];
  },
  jvp: ({ g, node, dx }) => {
    const y = node.outputs[0]!;
    const p = probabilities(g, y);
    return [sub(g, dx[0]!, reduceSumKeep(g, mul(g, p, dx[0]!), [axisOf(node, g.shape(y).length)]))];
  },
};
