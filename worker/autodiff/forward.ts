import type { Graph, Node } from './graph.ts';
import { RULES } from './registry.ts';
import { ruleFailure } from './reverse.ts';
import { UnsupportedOperatorError } from './rules.ts';

/**
 * Forward mode (Pearlmutter's R-operator): appends to `g` the tangent of every value of `nodes`
 * given the tangents `seeds` (value → tangent value). Applied to a graph that already holds the
 * forward and the backward pass, the tangents of the gradients are exact Hessian-vector products.
 * Returns the tangent of every value reached (absent = zero).
 */
export function appendTangents(g: Graph, nodes: readonly Node[], seeds: ReadonlyMap<string, string>, field: string): Map<string, string> {
  const tangents = new Map(seeds);
  for (const node of nodes) {
    const dx = node.inputs.map((i) => tangents.get(i) ?? null);
    if (dx.every((d) => d === null)) continue;
    if (node.outputs.every((o) => o === '' || g.info(o).dtype !== 'float32')) continue;
    const rules = RULES.get(node.op);
    if (!rules?.jvp) throw new UnsupportedOperatorError(field, node.op, node.name, 'has no forward-mode (Hessian-vector product) rule');
    let dy: (string | null)[];
    try {
      dy = rules.jvp({ g, node, dx });
    } catch (err) {
      ruleFailure(field, node, err);
    }
    node.outputs.forEach((o, k) => {
      const d = dy[k];
      if (!d || o === '') return;
      const shape = g.shape(o);
      const got = g.shape(d);
      if (got.length !== shape.length || got.some((v, j) => v !== shape[j])) {
        throw new Error(`forward rule of ${node.op} gave a tangent of shape [${got}] for "${o}" of shape [${shape}]`);
      }
      tangents.set(o, d);
    });
  }
  return tangents;
}
