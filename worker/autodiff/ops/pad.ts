import { stringAttribute } from '../graph.ts';
import type { OpRules } from '../rules.ts';
import { RuleLimitation } from '../rules.ts';
import { constantInts } from './support.ts';

/** Pad in constant mode (pads as an input, opset ≥ 11): the cotangent is dy cropped back. */
export const padRules: OpRules = {
  vjp({ g, node, dy }) {
    if (stringAttribute(node, 'mode', 'constant') !== 'constant') throw new RuleLimitation('is only differentiated in constant mode');
    const shape = g.shape(node.inputs[0]!);
    const pads = constantInts(g, node.inputs[1], 'pads') ?? [];
    const rank = shape.length;
    const axesInput = constantInts(g, node.inputs[3], 'axes');
    const axes = axesInput ?? shape.map((_, i) => i);
    const begin = shape.map(() => 0);
    axes.forEach((a, k) => (begin[a < 0 ? a + rank : a] = pads[k]!));
    if (begin.some((b) => b < 0) || pads.some((p) => p < 0)) throw new RuleLimitation('is only differentiated with non-negative pads');
    const starts = begin;
    const ends = begin.map((b, i) => b + shape[i]!);
    return [g.emit('Slice', [dy[0]!, g.ints(starts), g.ints(ends), g.ints(shape.map((_, i) => i))], {}, shape)];
  },
  // The padding value is a constant: the tangent is the tangent padded with zeros.
  jvp: ({ g, node, dx }) => [dx[0] ? g.emit('Pad', [dx[0], node.inputs[1]!, g.scalar(0), ...node.inputs.slice(3)], node.attributes, g.shape(node.outputs[0]!)) : null],
};
