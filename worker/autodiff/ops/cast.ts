import type { OpRules } from '../rules.ts';

/** Cast: float → float is the identity; nothing flows through casts to or from other types. */
export const castRules: OpRules = {
  vjp: ({ g, node, dy }) => [g.info(node.inputs[0]!).dtype === 'float32' ? dy[0]! : null],
  jvp: ({ g, node, dx }) => [g.info(node.outputs[0]!).dtype === 'float32' ? dx[0]! : null],
};
