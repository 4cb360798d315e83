import { intsAttribute } from '../graph.ts';
import { RuleLimitation, type OpRules } from '../rules.ts';
import { addOrNull, reduceSumKeep, reshape } from './support.ts';
import { convGeometry, convWeightGradient } from './conv.ts';

/**
 * ConvTranspose: linear in x and in W, so its tangent is the same operator on the tangents (the
 * input-gradient graphs of Conv consist of it). Its reverse rule: the input gradient is the Conv
 * with the same geometry; the weight gradient is Conv's weight gradient with x and dy swapped.
 */
function explicitGeometry(node: Parameters<NonNullable<OpRules['jvp']>>[0]['node']): void {
  if (intsAttribute(node, 'output_shape', []).length > 0) throw new RuleLimitation('is only differentiated with explicit pads (no output_shape)');
  const autoPad = node.attributes.auto_pad;
  if (typeof autoPad === 'string' && autoPad !== 'NOTSET') throw new RuleLimitation('is only differentiated with explicit pads (no auto_pad)');
}

export const convTransposeRules: OpRules = {
  vjp({ g, node, dy, needs }) {
    explicitGeometry(node);
    const [x, w, b] = node.inputs as [string, string, string | undefined];
    const d = dy[0]!;
    const geo = convGeometry(node, g.shape(d), g.shape(w));
    const { output_padding: _, ...attributes } = node.attributes;
    void _;
    const spatialAxes = g.shape(d).map((_, i) => i).filter((i) => i !== 1);
    let dw: string | null = null;
    if (needs[1]) {
      // dW[c, o, k] = Σ x[n, c, i]·dy[n, o, i·s + k·d − p]: Conv's weight gradient with dy as the input and x as the output cotangent.
      dw = convWeightGradient(g, d, x, g.shape(w), geo);
    }
    return [
      needs[0] ? g.emit('Conv', [d, w], { ...attributes, kernel_shape: geo.kernel, pads: geo.pads, strides: geo.strides, dilations: geo.dilations, group: geo.group }, g.shape(x)) : null,
      dw,
      b && needs[2] ? reshape(g, reduceSumKeep(g, d, spatialAxes), g.shape(b)) : null,
    ];
  },
  jvp({ g, node, dx }) {
    const [x, w] = node.inputs as [string, string];
    const y = g.shape(node.outputs[0]!);
    const [tx, tw, tb] = dx;
    const fromInput = tx ? g.emit('ConvTranspose', [tx, w], node.attributes, y) : null;
    const fromWeight = tw ? g.emit('ConvTranspose', tb ? [x, tw, tb] : [x, tw], node.attributes, y) : null;
    let total = addOrNull(g, fromInput, fromWeight);
    if (tb && !tw) {
      const bias = reshape(g, tb, [y[1]!, ...y.slice(2).map(() => 1)]);
      total = total ? g.emit('Add', [total, bias], {}, y) : g.emit('Expand', [bias, g.ints(y)], {}, y);
    }
    return [total];
  },
};
