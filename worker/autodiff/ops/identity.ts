import type { OpRules } from '../rules.ts';

/** y = x (also inference-mode Dropout, rewritten to Identity at import). */
export const identityRules: OpRules = {
  vjp: ({ dy }) => [dy[0]!],
  jvp: ({ dx }) => [dx[0]!],
};
