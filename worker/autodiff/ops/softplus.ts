import type { OpRules } from '../rules.ts';
import { mul } from './support.ts';

/** y = log(1 + eˣ), y' = σ(x). */
function derivative(g: Parameters<NonNullable<OpRules['vjp']>>[0]['g'], x: string): string {
  return g.emit('Sigmoid', [x], {}, g.shape(x));
}

export const softplusRules: OpRules = {
  vjp: ({ g, node, dy }) => [mul(g, dy[0]!, derivative(g, node.inputs[0]!))],
  jvp: ({ g, node, dx }) => [mul(g, dx[0]!, derivative(g, node.inputs[0]!))],
};
