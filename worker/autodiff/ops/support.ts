import type { AttributeValue, Graph, Node } from '../graph.ts';
import { sizeOf } from '../graph.ts';
import { RuleLimitation } from '../rules.ts';

/** Helpers shared by the operator rules. */

/** The same operator with the same attributes on other inputs, outputs shaped like the node's. */
export function cloneWith(g: Graph, node: Node, inputs: string[], attributes: Record<string, AttributeValue> = node.attributes): string {
  return g.emit(node.op, inputs, attributes, g.shape(node.outputs[0]!), g.info(node.outputs[0]!).dtype);
}

/** a + b with nulls as zeros (null when both are zero). Shapes must be equal. */
export function addOrNull(g: Graph, a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return g.emit('Add', [a, b], {}, g.shape(a));
}

export function sumOf(g: Graph, terms: (string | null)[]): string | null {
  return terms.reduce<string | null>((acc, t) => addOrNull(g, acc, t), null);
}

/** Broadcast shape of several shapes (numpy rules). */
export function broadcastShape(...shapes: number[][]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let d = 1;
    for (const s of shapes) {
      const k = s.length - rank + i;
      const v = k >= 0 ? s[k]! : 1;
      if (v !== 1) d = v;
    }
    out.push(d);
  }
  return out;
}

/** Sum `grad` (of shape `from`) down to `to`, the shape of a broadcast operand. */
export function unbroadcast(g: Graph, grad: string, to: number[]): string {
  const from = g.shape(grad);
  if (from.length === to.length && from.every((d, i) => d === to[i])) return grad;
  const lead = from.length - to.length;
  const axes: number[] = [];
  for (let i = 0; i < from.length; i++) {
    if (i < lead || (to[i - lead] === 1 && from[i] !== 1)) axes.push(i);
  }
  let reduced = grad;
  if (axes.length > 0) {
    const kept = from.map((d, i) => (axes.includes(i) ? 1 : d));
    reduced = g.emit('ReduceSum', [grad, g.ints(axes)], { keepdims: 1 }, kept);
  }
  return g.shape(reduced).length === to.length ? reduced : g.emit('Reshape', [reduced, g.ints(to)], {}, to);
}

/** `value` broadcast to `shape` (a dense tensor). */
export function expandTo(g: Graph, value: string, shape: number[]): string {
  const s = g.shape(value);
  if (s.length === shape.length && s.every((d, i) => d === shape[i])) return value;
  return g.emit('Expand', [value, g.ints(shape)], {}, shape);
}

export function reshape(g: Graph, value: string, shape: number[]): string {
  const s = g.shape(value);
  if (s.length === shape.length && s.every((d, i) => d === shape[i])) return value;
  return g.emit('Reshape', [value, g.ints(shape)], {}, shape);
}

export function mul(g: Graph, a: string, b: string): string {
  return g.emit('Mul', [a, b], {}, broadcastShape(g.shape(a), g.shape(b)));
}

export function sub(g: Graph, a: string, b: string): string {
  return g.emit('Sub', [a, b], {}, broadcastShape(g.shape(a), g.shape(b)));
}

export function add(g: Graph, a: string, b: string): string {
  return g.emit('Add', [a, b], {}, broadcastShape(g.shape(a), g.shape(b)));
}

export function div(g: Graph, a: string, b: string): string {
  return g.emit('Div', [a, b], {}, broadcastShape(g.shape(a), g.shape(b)));
}

export function neg(g: Graph, a: string): string {
  return g.emit('Neg', [a], {}, g.shape(a));
}

/**
 * condition ? a : 0, as a · float(condition): onnxruntime's Where with a broadcast scalar runs
 * ~40× slower than a dense Mul (measured on a 1M-element tensor).
 */
export function masked(g: Graph, condition: string, a: string): string {
  const mask = g.emit('Cast', [condition], { to: 1 }, g.shape(condition));
  return g.emit('Mul', [a, mask], {}, broadcastShape(g.shape(condition), g.shape(a)));
}

export function greater(g: Graph, a: string, b: string): string {
  return g.emit('Greater', [a, b], {}, broadcastShape(g.shape(a), g.shape(b)), 'bool');
}

/** Sum over `axes`, keeping them as size-1 axes. */
export function reduceSumKeep(g: Graph, value: string, axes: number[]): string {
  const shape = g.shape(value).map((d, i) => (axes.includes(i) ? 1 : d));
  return g.emit('ReduceSum', [value, g.ints(axes)], { keepdims: 1 }, shape);
}

export function normalizeAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

/** The int64 values of a constant input (shapes, axes, pads), folded at import. */
export function constantInts(g: Graph, name: string | undefined, what: string): number[] | null {
  if (name === undefined || name === '') return null;
  const t = g.constants.get(name);
  if (!t) throw new RuleLimitation(`its ${what} input must be a constant`);
  return Array.from(t.data as ArrayLike<number | bigint>, (v) => Number(v));
}

export function constantFloats(g: Graph, name: string | undefined, what: string): number[] | null {
  if (name === undefined || name === '') return null;
  const t = g.constants.get(name);
  if (!t) throw new RuleLimitation(`its ${what} input must be a constant`);
  return Array.from(t.data as ArrayLike<number | bigint>, (v) => Number(v));
}

export function elementCount(g: Graph, name: string): number {
  return sizeOf(g.shape(name));
}

/** JVP of an operator linear in input 0 whose other inputs are constants (shapes, axes, ...). */
export function linearInFirstJvp(g: Graph, node: Node, dx: (string | null)[]): (string | null)[] {
  const d = dx[0];
  if (!d) return [null];
  return [cloneWith(g, node, [d, ...node.inputs.slice(1)])];
}
