import type { OpRules } from '../rules.ts';
import { RuleLimitation } from '../rules.ts';
import { constantInts, linearInFirstJvp, normalizeAxis } from './support.ts';
import type { Graph, Node } from '../graph.ts';

/** Slice with step 1 (starts/ends/axes as constant inputs): the cotangent is dy zero-padded back. */
export function sliceRanges(g: Graph, node: Node): { begin: number[]; end: number[] } {
  const shape = g.shape(node.inputs[0]!);
  const rank = shape.length;
  const starts = constantInts(g, node.inputs[1], 'starts')!;
  const ends = constantInts(g, node.inputs[2], 'ends')!;
  const axes = constantInts(g, node.inputs[3], 'axes') ?? starts.map((_, i) => i);
  const steps = constantInts(g, node.inputs[4], 'steps') ?? starts.map(() => 1);
  if (steps.some((s) => s !== 1)) throw new RuleLimitation('is only differentiated with steps of 1');
  const begin = shape.map(() => 0);
  const end = [...shape];
  axes.forEach((a, k) => {
    const axis = normalizeAxis(a, rank);
    const size = shape[axis]!;
    const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + size : v, 0), size);
    begin[axis] = clamp(starts[k]!);
    end[axis] = Math.max(clamp(ends[k]!), begin[axis]!);
  });
  return { begin, end };
}

export const sliceRules: OpRules = {
  vjp({ g, node, dy }) {
    const shape = g.shape(node.inputs[0]!);
    const { begin, end } = sliceRanges(g, node);
    const pads = [...begin, ...end.map((e, i) => shape[i]! - e)];
    return [g.emit('Pad', [dy[0]!, g.ints(pads)], { mode: 'constant' }, shape)];
  },
  jvp: ({ g, node, dx }) => linearInFirstJvp(g, node, dx),
};
