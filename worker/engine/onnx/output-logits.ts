import { onnx, PASS_THROUGH } from '../../../contract/onnx-model.ts';

type ModelProto = InstanceType<typeof onnx.ModelProto>;
type NodeProto = InstanceType<typeof onnx.NodeProto>;

export interface LogitsOutput {
  /** The graph output to evaluate: the logits. */
  outputName: string;
  /** The activation taken off (null: the output was logits already). */
  stripped: 'softmax' | 'sigmoid' | null;
}

const PROBABILITY_OPS: Record<string, 'softmax' | 'sigmoid'> = { Softmax: 'softmax', Sigmoid: 'sigmoid' };

/**
 * Rewrites a decoded model (in place) so its output is the pre-activation of a final
 * Softmax/Sigmoid (method.md, "Losses": cross-entropy from logits): walking back from the output
 * through shape-only ops (contract/onnx-model.ts' PASS_THROUGH, the walk that names the output
 * activation), the op after the Softmax/Sigmoid reads the Softmax/Sigmoid's input instead, or,
 * when the activation produces the output itself, the graph output is renamed to its input. Both
 * activations keep their input's shape, so the output's declared type still holds. The bypassed
 * node is dropped when nothing else reads it.
 */
export function stripOutputActivation(model: ModelProto, outputName: string): LogitsOutput {
  const graph = model.graph!;
  const nodes = graph.node as NodeProto[];
  const producers = new Map<string, NodeProto>();
  for (const node of nodes) for (const out of node.output) producers.set(out, node);
  let reader: NodeProto | null = null;
  let node = producers.get(outputName);
  while (node && PASS_THROUGH.has(node.opType!)) {
    reader = node;
    node = producers.get(node.input[0] ?? '');
  }
  const stripped = node ? PROBABILITY_OPS[node.opType!] ?? null : null;
  if (!node || !stripped) return { outputName, stripped: null };
  const activated = node.output[0]!;
  const logits = node.input[0]!;
  let newOutputName = outputName;
  if (reader) {
    reader.input[0] = logits;
  } else {
    const output = graph.output!.find((o) => o.name === outputName)!;
    output.name = logits;
    newOutputName = logits;
  }
  const stillRead = nodes.some((n) => n.input.includes(activated)) || graph.output!.some((o) => o.name === activated);
  if (!stillRead) graph.node = nodes.filter((n) => n !== node);
  return { outputName: newOutputName, stripped };
}
