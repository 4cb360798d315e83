import type { Graph, Node } from '../graph.ts';
import { sizeOf } from '../graph.ts';
import type { OpRules } from '../rules.ts';
import { reshape } from './support.ts';

/**
 * MaxPool: the derivative routes through the selected element of each window. A MaxPool with its
 * Indices output (flat indices into the whole input, onnx spec) is emitted beside the forward one;
 * the cotangent is a scatter-add of dy to those indices, the tangent a gather from them.
 * GlobalMaxPool is lowered to a MaxPool over the whole plane.
 */
function flatIndices(g: Graph, node: Node): string {
  const x = node.inputs[0]!;
  const y = node.outputs[0]!;
  const { storage_order: _, ...attributes } = node.attributes;
  void _;
  const [, indices] = g.emitMulti('MaxPool', [x], attributes, [{ shape: g.shape(y), dtype: 'float32' }, { shape: g.shape(y), dtype: 'int64' }]);
  return g.emit('Reshape', [indices!, g.ints([-1])], {}, [sizeOf(g.shape(y))], 'int64');
}

export const maxPoolRules: OpRules = {
  vjp({ g, node, dy }) {
    const x = node.inputs[0]!;
    const total = sizeOf(g.shape(x));
    const updates = reshape(g, dy[0]!, [sizeOf(g.shape(dy[0]!))]);
    const scattered = g.emit('ScatterElements', [g.zeros([total]), flatIndices(g, node), updates], { axis: 0, reduction: 'add' }, [total]);
    return [reshape(g, scattered, g.shape(x))];
  },
  jvp({ g, node, dx }) {
    const y = node.outputs[0]!;
    const flat = reshape(g, dx[0]!, [sizeOf(g.shape(dx[0]!))]);
    const gathered = g.emit('GatherElements', [flat, flatIndices(g, node)], { axis: 0 }, [sizeOf(g.shape(y))]);
    return [reshape(g, gathered, g.shape(y)), null];
  },
};

export const globalMaxPoolRules: OpRules = {
  lower: ({ g, node }) => {
    const shape = g.shape(node.inputs[0]!);
    return [g.emit('MaxPool', [node.inputs[0]!], { kernel_shape: shape.slice(2) }, g.shape(node.outputs[0]!))];
  },
};
