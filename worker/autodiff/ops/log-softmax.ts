import { intAttribute } from '../graph.ts';
import type { OpRules } from '../rules.ts';
import { mul, normalizeAxis, reduceSumKeep, sub } from './support.ts';

/** y = x − log Σ eˣ along one axis; p = eʸ. dx = dy − p·Σ dy; ẏ = ẋ − Σ p ⊙ ẋ. */
function axisOf(node: Parameters<NonNullable<OpRules['jvp']>>[0]['node'], rank: number): number {
  return normalizeAxis(intAttribute(node, 'axis', -1), rank);
}

export const logSoftmaxRules: OpRules = {
  vjp: ({ g, node, dy }) => {
    const y = node.outputs[0]!;
    const p = g.emit('Exp', [y], {}, g.shape(y));
    return [sub(g, dy[0]!, mul(g, p, reduceSumKeep(g, dy[0]!, [axisOf(node, g.shape(y).length)])))];
  },
  jvp: ({ g, node, dx }) => {
    const y = node.outputs[0]!;
    const p = g.emit('Exp', [y], {}, g.shape(y));
    return [sub(g, dx[0]!, reduceSumKeep(g, mul(g, p, dx[0]!), [axisOf(node, g.shape(y).length)]))];
  },
};
