import { intAttribute } from '../graph.ts';
import type { OpRules } from '../rules.ts';
import { RuleLimitation } from '../rules.ts';
import { linearInFirstJvp, normalizeAxis, reshape } from './support.ts';

/**
 * Gather(data, indices) along an axis with scalar or 1-D indices: the cotangent is a scatter-add
 * of dy into zeros at the gathered positions (repeated indices accumulate).
 */
export const gatherRules: OpRules = {
  vjp: ({ g, node, dy }) => {
    const [data, indices] = node.inputs as [string, string];
    const shape = g.shape(data);
    const axis = normalizeAxis(intAttribute(node, 'axis', 0), shape.length);
    const indexShape = g.shape(indices);
    if (indexShape.length > 1) throw new RuleLimitation('is only differentiated with scalar or 1-D indices');
    const count = indexShape.length === 0 ? 1 : indexShape[0]!;
    const updateShape = shape.map((d, i) => (i === axis ? count : d));
    const updates = reshape(g, dy[0]!, updateShape);
    const positions = g.emit('Reshape', [indices, g.ints(shape.map((_, i) => (i === axis ? count : 1)))], {}, shape.map((_, i) => (i === axis ? count : 1)), 'int64');
    // Negative indices count from the end, as Gather reads them.
    const wrapped = g.emit('Where', [g.emit('Less', [positions, g.ints([0])], {}, g.shape(positions), 'bool'), g.emit('Add', [positions, g.ints([shape[axis]!])], {}, g.shape(positions), 'int64'), positions], {}, g.shape(positions), 'int64');
    const expanded = g.emit('Expand', [wrapped, g.ints(updateShape)], {}, updateShape, 'int64');
    return [g.emit('ScatterElements', [g.zeros(shape), expanded, updates], { axis, reduction: 'add' }, shape), null];
  },
  jvp: ({ g, node, dx }) => linearInFirstJvp(g, node, dx),
};
