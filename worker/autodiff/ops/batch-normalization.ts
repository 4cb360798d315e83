import { floatAttribute, sizeOf, type Graph, type Node } from '../graph.ts';
import type { OpRules } from '../rules.ts';
import { add, div, mul, neg, reduceSumKeep, reshape, sub } from './support.ts';

/**
 * BatchNormalization, lowered to elementary per-channel operators so that its derivatives follow
 * from theirs. Moving statistics (inference, the surfaces' mode): y = x·s + (β − μ·s) with
 * s = γ / √(σ² + ε). Batch statistics (training): μ_B and the biased σ²_B over batch and space,
 * y = (x − μ_B) · γ / √(σ²_B + ε) + β; μ_B and σ²_B are recorded for the caller's running update,
 * and reverse mode takes the closed form of the composite (forward mode follows the parts).
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
    const inverseStd = g.emit('Reciprocal', [sqrt(add(g, batchVariance, epsilon))], {}, g.shape(batchVariance));
    const scale = mul(g, inverseStd, reshape(g, gamma, perChannel));
    const y = add(g, mul(g, centered, scale), reshape(g, beta, perChannel));
    g.batchStatistics.push({ movingMean: mean, movingVariance: variance, mean: reshape(g, batchMean, [channels]), variance: reshape(g, batchVariance, [channels]) });
    g.composites.set(y, {
      inputs: [x, gamma, beta],
      /**
       * With x̂ = c·r (c = x − μ_B, r = 1/√(σ²_B + ε)), s = γ·r and sums over batch and space:
       * dβ = Σdy, dγ = r·Σdy·c, dx = s·dy − s·r²·(Σdy·c)/n · c − s·(Σdy)/n. Three passes over the
       * activation for the sums and four for dx, where the chain through the lowered parts
       * (broadcasts, the mean's and the variance's paths) took about twice as many.
       */
      vjp({ g, dy, needs: [needX, needGamma, needBeta] }) {
        const dBeta = reduceSumKeep(g, dy, axes);
        const dyCentered = needX || needGamma ? reduceSumKeep(g, mul(g, dy, centered), axes) : null;
        let dx: string | null = null;
        if (needX) {
          const centeredScale = neg(g, mul(g, mul(g, scale, mul(g, inverseStd, inverseStd)), mul(g, dyCentered!, inverseCount)));
          const shift = neg(g, mul(g, scale, mul(g, dBeta, inverseCount)));
          dx = add(g, add(g, mul(g, dy, scale), mul(g, centered, centeredScale)), shift);
        }
        return [dx, needGamma ? reshape(g, mul(g, dyCentered!, inverseStd), [channels]) : null, needBeta ? reshape(g, dBeta, [channels]) : null];
      },
    });
    return [y];
  },
};
