import { intsAttribute } from '../graph.ts';
import type { OpRules } from '../rules.ts';
import { cloneWith } from './support.ts';

/** y = x with permuted axes (default: reversed). */
export const transposeRules: OpRules = {
  vjp: ({ g, node, dy }) => {
    const x = node.inputs[0]!;
    const rank = g.shape(x).length;
    const perm = intsAttribute(node, 'perm', [...Array(rank).keys()].reverse());
    const inverse = new Array<number>(rank);
    perm.forEach((p, i) => (inverse[p] = i));
    return [g.emit('Transpose', [dy[0]!], { perm: inverse }, g.shape(x))];
  },
  jvp: ({ g, node, dx }) => [cloneWith(g, node, [dx[0]!])],
};
