import type { Graph, Node } from '../graph.ts';
import type { OpRules } from '../rules.ts';
import { mul } from './support.ts';

/**
 * y = max(x, 0); the derivative at 0 is taken as 0 (as PyTorch). The derivative is read off the
 * output as sign(y) ∈ {0, 1}: a dense Mul runs several times faster in onnxruntime than
 * Where(x > 0, d, 0) with a broadcast zero, x stays read by the Relu alone (onnxruntime fuses it
 * into the Conv before it), and sign's own derivative is 0 (no extra terms in the HVP graph).
 */
function derivativeTimes(g: Graph, node: Node, d: string): string {
  const y = node.outputs[0]!;
  return mul(g, d, g.emit('Sign', [y], {}, g.shape(y)));
}

export const reluRules: OpRules = {
  vjp: ({ g, node, dy }) => [derivativeTimes(g, node, dy[0]!)],
  jvp: ({ g, node, dx }) => [derivativeTimes(g, node, dx[0]!)],
};
