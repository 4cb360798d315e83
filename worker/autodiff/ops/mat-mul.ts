import type { OpRules } from '../rules.ts';
import { RuleLimitation } from '../rules.ts';
import type { Graph } from '../graph.ts';
import { addOrNull, broadcastShape, unbroadcast } from './support.ts';

/** Y = A·B (numpy matmul: batched over leading axes, broadcast). */

function swapLast(g: Graph, x: string): string {
  const s = g.shape(x);
  const perm = s.map((_, i) => i);
  perm[s.length - 1] = s.length - 2;
  perm[s.length - 2] = s.length - 1;
  const shape = perm.map((p) => s[p]!);
  return g.emit('Transpose', [x], { perm }, shape);
}

export function matMulShape(a: number[], b: number[]): number[] {
  const batch = broadcastShape(a.slice(0, -2), b.slice(0, -2));
  return [...batch, a[a.length - 2]!, b[b.length - 1]!];
}

function matMul(g: Graph, a: string, b: string): string {
  return g.emit('MatMul', [a, b], {}, matMulShape(g.shape(a), g.shape(b)));
}

function checkRanks(g: Graph, a: string, b: string): void {
  if (g.shape(a).length < 2 || g.shape(b).length < 2) throw new RuleLimitation('is only differentiated for operands of rank ≥ 2');
}

export const matMulRules: OpRules = {
  vjp({ g, node, dy, needs }) {
    const [a, b] = node.inputs as [string, string];
    checkRanks(g, a, b);
    const d = dy[0]!;
    return [
      needs[0] ? unbroadcast(g, matMul(g, d, swapLast(g, b)), g.shape(a)) : null,
      needs[1] ? unbroadcast(g, matMul(g, swapLast(g, a), d), g.shape(b)) : null,
    ];
  },
  jvp({ g, node, dx }) {
    const [a, b] = node.inputs as [string, string];
    checkRanks(g, a, b);
    return [addOrNull(g, dx[0] ? matMul(g, dx[0], b) : null, dx[1] ? matMul(g, a, dx[1]) : null)];
  },
};
