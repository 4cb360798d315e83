import type { OpRules } from '../rules.ts';
import { expandTo, mul, sumOf, unbroadcast } from './support.ts';

/** Sum and Mean of several inputs (broadcast): the cotangent reaches every input (÷ count for the mean). */
function rules(mean: boolean): OpRules {
  return {
    vjp: ({ g, node, dy, needs }) => {
      const d = mean ? mul(g, dy[0]!, g.scalar(1 / node.inputs.length)) : dy[0]!;
      return node.inputs.map((x, i) => (needs[i] ? unbroadcast(g, d, g.shape(x)) : null));
    },
    jvp: ({ g, node, dx }) => {
      const out = g.shape(node.outputs[0]!);
      const total = sumOf(g, dx.map((d) => (d ? expandTo(g, d, out) : null)))!;
      return [mean ? mul(g, total, g.scalar(1 / node.inputs.length)) : total];
    },
  };
}

export const sumRules = rules(false);
export const meanRules = rules(true);
