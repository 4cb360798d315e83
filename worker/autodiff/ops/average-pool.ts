import { intAttribute, intsAttribute, type Graph, type Node } from '../graph.ts';
import { RuleLimitation, type OpRules } from '../rules.ts';
import { convGeometry, convInputGradient } from './conv.ts';
import { div, linearInFirstJvp, reshape } from './support.ts';

/**
 * AveragePool: each output is a window sum over its divisor, so the cotangent is dy over the
 * divisor spread by a depthwise ConvTranspose with a kernel of ones. The divisor counts the
 * window's positions inside the input (count_include_pad = 0) or inside the padded input.
 * GlobalAveragePool is lowered to a ReduceMean over space.
 */
function divisors(g: Graph, node: Node, x: number[], y: number[]): string {
  const geo = convGeometry(node, x, [0, 0, ...intsAttribute(node, 'kernel_shape', [])]);
  const spatial = x.length - 2;
  const includePad = intAttribute(node, 'count_include_pad', 0) === 1;
  const out = y.slice(2);
  const counts = new Float32Array(out.reduce((n, d) => n * d, 1));
  for (let flat = 0; flat < counts.length; flat++) {
    let rest = flat;
    let count = 1;
    for (let i = spatial - 1; i >= 0; i--) {
      const o = rest % out[i]!;
      rest = Math.floor(rest / out[i]!);
      const lo = includePad ? -geo.pads[i]! : 0;
      const hi = includePad ? x[i + 2]! + geo.pads[i + spatial]! : x[i + 2]!;
      let inside = 0;
      for (let k = 0; k < geo.kernel[i]!; k++) {
        const p = o * geo.strides[i]! - geo.pads[i]! + k * geo.dilations[i]!;
        if (p >= lo && p < hi) inside++;
      }
      count *= inside;
    }
    counts[flat] = count;
  }
  return g.constant({ dtype: 'float32', dims: out, data: counts }, 'pool_divisors');
}

export const averagePoolRules: OpRules = {
  vjp({ g, node, dy }) {
    const x = node.inputs[0]!;
    const xShape = g.shape(x);
    const yShape = g.shape(dy[0]!);
    if (intsAttribute(node, 'dilations', []).some((d) => d !== 1)) throw new RuleLimitation('is only differentiated without dilations');
    const kernel = intsAttribute(node, 'kernel_shape', []);
    const channels = xShape[1]!;
    const geo = { ...convGeometry(node, xShape, [channels, 1, ...kernel]), group: channels };
    const scaled = div(g, dy[0]!, divisors(g, node, xShape, yShape));
    const ones = g.constant({ dtype: 'float32', dims: [channels, 1, ...kernel], data: new Float32Array(channels * kernel.reduce((n, k) => n * k, 1)).fill(1) }, 'pool_ones');
    return [reshape(g, convInputGradient(g, scaled, ones, xShape, geo), xShape)];
  },
  jvp: ({ g, node, dx }) => linearInFirstJvp(g, node, dx),
};

export const globalAveragePoolRules: OpRules = {
  lower({ g, node }) {
    const x = node.inputs[0]!;
    const axes = g.shape(x).slice(2).map((_, i) => i + 2);
    const out = g.shape(node.outputs[0]!);
    // ReduceMean takes its axes as an attribute before opset 18 and as an input from 18 on.
    return g.opset >= 18
      ? [g.emit('ReduceMean', [x, g.ints(axes)], { keepdims: 1 }, out)]
      : [g.emit('ReduceMean', [x], { axes, keepdims: 1 }, out)];
  },
};
