import { floatAttribute, intAttribute } from '../graph.ts';
import type { OpRules } from '../rules.ts';
import { add, mul } from './support.ts';
import { matMulShape } from './mat-mul.ts';

/** Y = α·op(A)·op(B) + β·C, lowered to Transpose, MatMul, Mul and Add. */
export const gemmRules: OpRules = {
  lower({ g, node }) {
    const [a, b, c] = node.inputs;
    const transposed = (x: string, flag: number) => {
      if (!flag) return x;
      const [r, k] = g.shape(x) as [number, number];
      return g.emit('Transpose', [x], { perm: [1, 0] }, [k, r]);
    };
    const A = transposed(a!, intAttribute(node, 'transA', 0));
    const B = transposed(b!, intAttribute(node, 'transB', 0));
    let y = g.emit('MatMul', [A, B], {}, matMulShape(g.shape(A), g.shape(B)));
    const alpha = floatAttribute(node, 'alpha', 1);
    const beta = floatAttribute(node, 'beta', 1);
    if (alpha !== 1) y = mul(g, y, g.scalar(alpha));
    if (c && beta !== 0) y = add(g, y, beta === 1 ? c : mul(g, c, g.scalar(beta)));
    return [y];
  },
};
