import type { Graph, Node } from './graph.ts';
import { addOrNull } from './ops/support.ts';
import { RULES } from './registry.ts';
import { RuleLimitation, UnsupportedOperatorError } from './rules.ts';

/**
 * Values that depend on any of `sources` through float edges of `nodes` (what can carry a
 * derivative), or through edges of every type with `everyType` (what changes with the sources).
 */
export function dependents(g: Graph, nodes: readonly Node[], sources: Iterable<string>, everyType = false): Set<string> {
  const reached = new Set(sources);
  for (const n of nodes) {
    if (!n.inputs.some((i) => reached.has(i))) continue;
    for (const o of n.outputs) if (o !== '' && (everyType || g.info(o).dtype === 'float32')) reached.add(o);
  }
  return reached;
}

/** Values that `targets` depend on through `nodes`. */
function ancestors(nodes: readonly Node[], targets: Iterable<string>): Set<string> {
  const reached = new Set(targets);
  for (let k = nodes.length - 1; k >= 0; k--) {
    const n = nodes[k]!;
    if (n.outputs.some((o) => reached.has(o))) for (const i of n.inputs) reached.add(i);
  }
  return reached;
}

export function ruleFailure(field: string, node: Node, err: unknown): never {
  if (err instanceof RuleLimitation) throw new UnsupportedOperatorError(field, node.op, node.name, err.message);
  throw err;
}

/**
 * Reverse mode: appends to `g` the nodes that compute ∂loss/∂p for every p of `wrt`, seeding the
 * scalar `loss` with 1. Returns each parameter's gradient value (null when the loss does not
 * depend on it). `field` names the model file in errors.
 */
export function appendGradients(g: Graph, loss: string, wrt: readonly string[], field: string): Map<string, string | null> {
  const forward = [...g.nodes];
  const differentiable = dependents(g, forward, wrt);
  const needed = ancestors(forward, [loss]);
  const cotangents = new Map<string, string>();
  cotangents.set(loss, g.scalar(1));
  for (let k = forward.length - 1; k >= 0; k--) {
    const node = forward[k]!;
    const dy = node.outputs.map((o) => cotangents.get(o) ?? null);
    if (dy.every((d) => d === null)) continue;
    const composite = g.composites.get(node.outputs[0]!);
    const inputs = composite?.inputs ?? node.inputs;
    const needs = inputs.map((i) => i !== '' && differentiable.has(i) && needed.has(i));
    if (!needs.some(Boolean)) continue;
    let dx: (string | null)[];
    if (composite) {
      dx = composite.vjp({ g, dy: dy[0]!, needs });
    } else {
      const rules = RULES.get(node.op);
      if (!rules?.vjp) throw new UnsupportedOperatorError(field, node.op, node.name);
      try {
        dx = rules.vjp({ g, node, dy, needs });
      } catch (err) {
        ruleFailure(field, node, err);
      }
    }
    inputs.forEach((input, i) => {
      const d = needs[i] ? dx[i] : null;
      if (!d) return;
      const shape = g.shape(input);
      const got = g.shape(d);
      if (got.length !== shape.length || got.some((v, j) => v !== shape[j])) {
        throw new Error(`rule of ${node.op} gave a cotangent of shape [${got}] for input "${input}" of shape [${shape}]`);
      }
      cotangents.set(input, addOrNull(g, cotangents.get(input) ?? null, d)!);
    });
  }
  return new Map(wrt.map((p) => [p, cotangents.get(p) ?? null]));
}
