import { stringAttribute } from '../graph.ts';
import type { OpRules } from '../rules.ts';
import { RuleLimitation } from '../rules.ts';

/**
 * ScatterElements with reduction 'add' (what MaxPool's reverse rule emits) and GatherElements:
 * linear in their float inputs, adjoint to each other.
 */
export const scatterElementsRules: OpRules = {
  vjp({ g, node, dy, needs }) {
    if (stringAttribute(node, 'reduction', 'none') !== 'add') throw new RuleLimitation('is only differentiated with reduction "add"');
    const [, indices, updates] = node.inputs as [string, string, string];
    return [
      needs[0] ? dy[0]! : null,
      null,
      needs[2] ? g.emit('GatherElements', [dy[0]!, indices], { axis: node.attributes.axis ?? 0 }, g.shape(updates)) : null,
    ];
  },
  jvp({ g, node, dx }) {
    if (stringAttribute(node, 'reduction', 'none') !== 'add') throw new RuleLimitation('is only differentiated with reduction "add"');
    const [data, indices, updates] = node.inputs as [string, string, string];
    const shape = g.shape(node.outputs[0]!);
    return [g.emit('ScatterElements', [dx[0] ?? g.zeros(g.shape(data)), indices, dx[2] ?? g.zeros(g.shape(updates))], node.attributes, shape)];
  },
};

export const gatherElementsRules: OpRules = {
  vjp({ g, node, dy }) {
    const [data, indices] = node.inputs as [string, string];
    return [g.emit('ScatterElements', [g.zeros(g.shape(data)), indices, dy[0]!], { axis: node.attributes.axis ?? 0, reduction: 'add' }, g.shape(data)), null];
  },
  jvp: ({ g, node, dx }) => [g.emit('GatherElements', [dx[0]!, node.inputs[1]!], node.attributes, g.shape(node.outputs[0]!))],
};
