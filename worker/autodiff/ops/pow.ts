import type { Graph, Node } from '../graph.ts';
import type { OpRules } from '../rules.ts';
import { addOrNull, div, expandTo, mul, sub, unbroadcast } from './support.ts';

/** y = xᵖ: ∂y/∂x = p·xᵖ⁻¹, ∂y/∂p = y·ln x. */
function partials(g: Graph, node: Node, needBase: boolean, needExponent: boolean): [string | null, string | null] {
  const [x, p] = node.inputs as [string, string];
  const y = node.outputs[0]!;
  const base = needBase ? mul(g, p, g.emit('Pow', [x, sub(g, p, g.scalar(1))], {}, g.shape(y))) : null;
  const exponent = needExponent ? mul(g, y, g.emit('Log', [x], {}, g.shape(x))) : null;
  return [base, exponent];
}

export const powRules: OpRules = {
  vjp: ({ g, node, dy, needs }) => {
    const [dbase, dexp] = partials(g, node, needs[0]!, needs[1]!);
    return [
      dbase ? unbroadcast(g, mul(g, dy[0]!, dbase), g.shape(node.inputs[0]!)) : null,
      dexp ? unbroadcast(g, mul(g, dy[0]!, dexp), g.shape(node.inputs[1]!)) : null,
    ];
  },
  jvp: ({ g, node, dx }) => {
    const [dbase, dexp] = partials(g, node, dx[0] !== null, dx[1] !== null);
    const out = g.shape(node.outputs[0]!);
    return [addOrNull(g, dbase ? expandTo(g, mul(g, dx[0]!, dbase), out) : null, dexp ? expandTo(g, mul(g, dx[1]!, dexp), out) : null)];
  },
};

/** y = ln x, y' = 1/x. */
export const logRules: OpRules = {
  vjp: ({ g, node, dy }) => [div(g, dy[0]!, node.inputs[0]!)],
  jvp: ({ g, node, dx }) => [div(g, dx[0]!, node.inputs[0]!)],
};

/** y = 1/x, y' = −y². */
export const reciprocalRules: OpRules = {
  vjp: ({ g, node, dy }) => [g.emit('Neg', [mul(g, dy[0]!, mul(g, node.outputs[0]!, node.outputs[0]!))], {}, g.shape(node.outputs[0]!))],
  jvp: ({ g, node, dx }) => [g.emit('Neg', [mul(g, dx[0]!, mul(g, node.outputs[0]!, node.outputs[0]!))], {}, g.shape(node.outputs[0]!))],
};
