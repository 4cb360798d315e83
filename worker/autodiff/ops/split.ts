import { intAttribute } from '../graph.ts';
import type { OpRules } from '../rules.ts';
import { normalizeAxis } from './support.ts';

/** Split: the cotangent is the outputs' cotangents joined back (zeros for unused outputs). */
export const splitRules: OpRules = {
  vjp: ({ g, node, dy }) => {
    const x = node.inputs[0]!;
    const axis = normalizeAxis(intAttribute(node, 'axis', 0), g.shape(x).length);
    const parts = node.outputs.map((o, k) => dy[k] ?? g.zeros(g.shape(o)));
    return [g.emit('Concat', parts, { axis }, g.shape(x)), null];
  },
  jvp: ({ g, node, dx }) => g.emitMulti('Split', [dx[0]!, ...node.inputs.slice(1)], node.attributes, node.outputs.map((o) => g.info(o))),
};
