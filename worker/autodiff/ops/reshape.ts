import type { OpRules } from '../rules.ts';
import { reshape } from './support.ts';

/**
 * Reshape, Flatten, Squeeze and Unsqueeze: the same elements in another shape, so each
 * derivative is the other shape of the incoming one.
 */
export const reshapeRules: OpRules = {
  vjp: ({ g, node, dy }) => [reshape(g, dy[0]!, g.shape(node.inputs[0]!))],
  jvp: ({ g, node, dx }) => [reshape(g, dx[0]!, g.shape(node.outputs[0]!))],
};
