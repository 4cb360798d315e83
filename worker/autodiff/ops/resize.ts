import { stringAttribute } from '../graph.ts';
import type { OpRules } from '../rules.ts';
import { RuleLimitation } from '../rules.ts';
import { linearInFirstJvp, reduceSumKeep, reshape } from './support.ts';

/**
 * Resize / Upsample in nearest mode by integer factors over the spatial axes (U-Net decoders):
 * every input pixel is copied to a block of f₁×f₂ outputs, so its cotangent is the block's sum.
 * Linear in x, so the tangent is the same Resize of the tangent.
 */
export const resizeRules: OpRules = {
  vjp: ({ g, node, dy }) => {
    if (stringAttribute(node, 'mode', 'nearest') !== 'nearest') throw new RuleLimitation('is only differentiated in nearest mode');
    const x = node.inputs[0]!;
    const xs = g.shape(x);
    const ys = g.shape(dy[0]!);
    const factors = ys.map((d, i) => d / xs[i]!);
    if (factors.some((f) => !Number.isInteger(f))) throw new RuleLimitation('is only differentiated for integer scale factors');
    const split = xs.flatMap((d, i) => [d, factors[i]!]);
    const blocks = reshape(g, dy[0]!, split);
    const summed = reduceSumKeep(g, blocks, xs.map((_, i) => 2 * i + 1));
    return [reshape(g, summed, xs), ...node.inputs.slice(1).map(() => null)];
  },
  jvp: ({ g, node, dx }) => linearInFirstJvp(g, node, dx),
};
