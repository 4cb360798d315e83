import { intAttribute } from '../graph.ts';
import type { OpRules } from '../rules.ts';
import { mul, normalizeAxis, reduceSumKeep, sub } from './support.ts';

/** y = softmax(x) along one axis: dx = y ⊙ (dy − Σ dy ⊙ y), and the same form for tangents. */
function rule(g: Parameters<NonNullable<OpRules['jvp']>>[0]['g'], node: Parameters<NonNullable<OpRules['jvp']>>[0]['node'], d: string): string {
  const y = node.outputs[0]!;
  const axis = normalizeAxis(intAttribute(node, 'axis', -1), g.shape(y).length);
  return mul(g, y, sub(g, d, reduceSumKeep(g, mul(g, d, y), [axis])));
}

export const softmaxRules: OpRules = {
  vjp: ({ g, node, dy }) => [rule(g, node, dy[0]!)],
  jvp: ({ g, node, dx }) => [rule(g, node, dx[0]!)],
};
