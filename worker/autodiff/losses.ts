import { ContractError, type LossName } from '../../contract/index.ts';
import { intAttribute, sizeOf, type Graph, type Node } from './graph.ts';
import { mul, neg, reshape, sub } from './ops/support.ts';

/**
 * The loss appended to a forward graph: the SUM of per-sample losses over the batch (callers
 * divide by N; method.md: the mean is Σ/N, never a mean of batch means). Cross-entropies are
 * computed from logits: a final Softmax (Sigmoid) is stripped and log-softmax cross-entropy
 * (softplus form of log-sigmoid BCE) is taken of its input. Segmentation (P > 1 labels per
 * sample) takes them per pixel as the evaluator does (worker/engine/onnx/pixel-losses.ts): the
 * output channels-last [h, w, C], a sample's loss the mean over its P pixels.
 */

export const TARGETS_INPUT = 'targets__ad';

/** Ops that do not change what an output means when looking for the final activation. */
const PASS_THROUGH = new Set(['Identity', 'Flatten', 'Reshape', 'Squeeze']);

export interface AppendedLoss {
  loss: string;
  /**
   * Target values per sample: one-hot rows of the classes (cross-entropies; per pixel, P·C), the
   * label (binary; per pixel, P), the target row (mse).
   */
  targetWidth: number;
  /** Outputs per sample of the logits the loss is taken of. */
  classes: number;
}

function producerOf(g: Graph, value: string): Node | undefined {
  return g.nodes.find((n) => n.outputs.includes(value));
}

/** The pre-activation of a final `op` (through pass-through ops), or null. */
function strip(g: Graph, output: string, op: string): string | null {
  let node = producerOf(g, output);
  while (node && PASS_THROUGH.has(node.op)) node = producerOf(g, node.inputs[0]!);
  if (node?.op !== op) return null;
  if (op === 'Softmax') {
    const rank = g.shape(node.inputs[0]!).length;
    const axis = intAttribute(node, 'axis', -1);
    if (axis !== -1 && axis !== rank - 1) return null;
  }
  return node.inputs[0]!;
}

/**
 * `pixels`: class labels per sample (1 for classification, P for segmentation); ignored for mse,
 * whose targets are whole rows.
 */
export function appendLoss(g: Graph, loss: LossName, outputActivation: string, pixels = 1): AppendedLoss {
  const output = g.outputs[0]!;
  const batch = g.shape(output)[0]!;
  const categorical = loss === 'categorical_crossentropy' || loss === 'sparse_categorical_crossentropy';
  let logits = output;
  if (categorical && outputActivation === 'softmax') {
    logits = strip(g, output, 'Softmax') ?? fail('the model ends in softmax but its pre-activation could not be found');
  } else if (loss === 'binary_crossentropy' && outputActivation === 'sigmoid') {
    logits = strip(g, output, 'Sigmoid') ?? fail('the model ends in sigmoid but its pre-activation could not be found');
  } else if (loss !== 'mse' && (outputActivation === 'softmax' || outputActivation === 'sigmoid')) {
    fail(`${loss} of a model with ${outputActivation} outputs is not supported`);
  }
  const width = sizeOf(g.shape(logits)) / batch;
  const perPixel = loss !== 'mse' && pixels > 1;
  if (perPixel && width % pixels !== 0) fail(`the model outputs ${width} values per sample, not a multiple of the ${pixels} target pixels`);
  const rows = perPixel ? batch * pixels : batch;
  const classes = perPixel ? width / pixels : width;
  const z = reshape(g, logits, [rows, classes]);
  const targetWidth = perPixel && loss === 'binary_crossentropy' ? pixels : width;
  g.inputs.push(TARGETS_INPUT);
  g.values.set(TARGETS_INPUT, { shape: [batch, targetWidth], dtype: 'float32' });
  const t = reshape(g, TARGETS_INPUT, [rows, classes]);
  const sumAll = (x: string) => g.emit('ReduceSum', [x], { keepdims: 0 }, []);
  let total: string;
  if (categorical) {
    if (classes < 2) fail(`categorical cross-entropy needs at least 2 outputs per ${perPixel ? 'pixel' : 'sample'}, the model has ${classes}`);
    const logProbabilities = g.emit('LogSoftmax', [z], { axis: 1 }, [rows, classes]);
    total = neg(g, sumAll(mul(g, t, logProbabilities)));
  } else if (loss === 'binary_crossentropy') {
    if (classes !== 1) fail(`binary cross-entropy needs one output per ${perPixel ? 'pixel' : 'sample'}, the model has ${classes}`);
    // −[t log σ(z) + (1 − t) log(1 − σ(z))] = softplus(z) − t·z
    total = sumAll(sub(g, g.emit('Softplus', [z], {}, [rows, 1]), mul(g, t, z)));
  } else {
    const d = sub(g, z, t);
    total = mul(g, sumAll(mul(g, d, d)), g.scalar(1 / classes));
  }
  // A segmentation sample's loss is the mean over its pixels.
  if (perPixel) total = mul(g, total, g.scalar(1 / pixels));
  return { loss: total, targetWidth, classes };
}

function fail(message: string): never {
  throw new ContractError('loss', message);
}
