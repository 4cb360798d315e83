import { intAttribute } from '../graph.ts';
import type { OpRules } from '../rules.ts';
import { normalizeAxis } from './support.ts';

/** y = inputs joined along `axis`; each input's cotangent is its slice of dy. */
export const concatRules: OpRules = {
  vjp({ g, node, dy, needs }) {
    const d = dy[0]!;
    const rank = g.shape(d).length;
    const axis = normalizeAxis(intAttribute(node, 'axis', 0), rank);
    let offset = 0;
    return node.inputs.map((x, i) => {
      const shape = g.shape(x);
      const start = offset;
      offset += shape[axis]!;
      if (!needs[i]) return null;
      return g.emit('Slice', [d, g.ints([start]), g.ints([start + shape[axis]!]), g.ints([axis])], {}, shape);
    });
  },
  jvp({ g, node, dx }) {
    const parts = node.inputs.map((x, i) => dx[i] ?? g.zeros(g.shape(x)));
    return [g.emit('Concat', parts, node.attributes, g.shape(node.outputs[0]!))];
  },
};
