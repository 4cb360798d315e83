import type { Graph } from '../graph.ts';
import type { OpRules } from '../rules.ts';
import { mul } from './support.ts';

/** y = erf x, y' = 2/√π · e^(−x²) (GELU graphs as exported by PyTorch). */
function derivative(g: Graph, x: string): string {
  const square = mul(g, x, x);
  const gauss = g.emit('Exp', [g.emit('Neg', [square], {}, g.shape(x))], {}, g.shape(x));
  return mul(g, gauss, g.scalar(2 / Math.sqrt(Math.PI)));
}

export const erfRules: OpRules = {
  vjp: ({ g, node, dy }) => [mul(g, dy[0]!, derivative(g, node.inputs[0]!))],
  jvp: ({ g, node, dx }) => [mul(g, dx[0]!, derivative(g, node.inputs[0]!))],
};
