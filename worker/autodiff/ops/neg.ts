import type { OpRules } from '../rules.ts';
import { neg } from './support.ts';

/** y = −x. */
export const negRules: OpRules = {
  vjp: ({ g, dy }) => [neg(g, dy[0]!)],
  jvp: ({ g, dx }) => [neg(g, dx[0]!)],
};
