import type { OpRules } from '../rules.ts';
import { greater, masked } from './support.ts';

/** y = max(x, 0); the derivative at 0 is taken as 0 (as PyTorch). */
export const reluRules: OpRules = {
  vjp: ({ g, node, dy }) => [masked(g, greater(g, node.inputs[0]!, g.scalar(0)), dy[0]!)],
  jvp: ({ g, node, dx }) => [masked(g, greater(g, node.inputs[0]!, g.scalar(0)), dx[0]!)],
};
