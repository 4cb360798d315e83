import { floatAttribute, sizeOf, type Graph, type Node } from '../graph.ts';
import type { OpRules } from '../rules.ts';
import { add, div, mul, neg, reduceSumKeep, reshape, sub } from './support.ts';

/**
 * BatchNormalization, lowered to elementary per-channel operators so that its derivatives follow
 * from theirs. Moving statistics (inference, the surfaces' mode): y = x·s + (β − μ·s) with
 * s = γ / √(σ² + ε). Batch statistics (training): μ_B and the biased σ²_B over batch and space,
 * y = (x − μ_B) / √(σ²_B + ε) · γ + β; μ_B and σ²_B are recorded for the caller's running update.
 */
/**
 * Conv → BN (moving statistics) with nothing else reading the conv output: one Conv with
 * W' = W·s (per output channel) and b' = (b − μ)·s + β, as onnxruntime folds constant BN. The
 * parameters stay graph inputs; the derivatives through W' = W·s follow from Mul's rules, and the
 * activation-sized scale and shift passes disappear from the forward and backward graphs.
 */
function foldIntoConv(g: Graph, conv: Node, scale: string, beta: string, mean: string): string {
  const [x, w, b] = conv.inputs as [string, string, string | undefined];
  const wShape = g.shape(w);
  const folded = mul(g, w, reshape(g, scale, [wShape[0]!, ...wShape.slice(1).map(() => 1)]));
  const centered = b ? sub(g, b, mean) : neg(g, mean);
  const bias = add(g, mul(g, centered, scale), beta);
  g.nodes.splice(g.nodes.indexOf(conv), 1);
  return g.emit('Conv', [x, folded, bias], conv.attributes, g.shape(conv.outputs[0]!));
}

export const batchNormalizationRules: OpRules = {
  lower({ g, node, batchNorm, uses }) {
    const [x, gamma, beta, mean, variance] = node.inputs as [string, string, string, string, string];
    const shape = g.shape(x);
    const channels = shape[1]!;
    const perChannel = [channels, ...shape.slice(2).map(() => 1)];
    const epsilon = g.scalar(floatAttribute(node, 'epsilon', 1e-5));
    const sqrt = (v: string) => g.emit('Sqrt', [v], {}, g.shape(v));
    if (batchNorm === 'moving') {
      const scale = div(g, gamma, sqrt(add(g, variance, epsilon)));
      const conv = [...g.nodes].reverse().find((n) => n.outputs[0] === x);
      if (conv?.op === 'Conv' && uses(x) === 1) return [foldIntoConv(g, conv, scale, beta, mean)];
      const shift = sub(g, beta, mul(g, mean, scale));
      return [add(g, mul(g, x, reshape(g, scale, perChannel)), reshape(g, shift, perChannel))];
    }
    const axes = shape.map((_, i) => i).filter((i) => i !== 1);
    const inverseCount = g.scalar(1 / (sizeOf(shape) / channels));
    const batchMean = mul(g, reduceSumKeep(g, x, axes), inverseCount);
    const centered = sub(g, x, batchMean);
    const batchVariance = mul(g, reduceSumKeep(g, mul(g, centered, centered), axes), inverseCount);
    const normalized = div(g, centered, sqrt(add(g, batchVariance, epsilon)));
    const y = add(g, mul(g, normalized, reshape(g, gamma, perChannel)), reshape(g, beta, perChannel));
    g.batchStatistics.push({ movingMean: mean, movingVariance: variance, mean: reshape(g, batchMean, [channels]), variance: reshape(g, batchVariance, [channels]) });
    return [y];
  },
};
