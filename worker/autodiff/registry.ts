import { absRules, signRules } from './ops/abs.ts';
import { castRules } from './ops/cast.ts';
import { ceilRules } from './ops/ceil.ts';
import { erfRules } from './ops/erf.ts';
import { gatherRules } from './ops/gather.ts';
import { hardSigmoidRules, hardSwishRules } from './ops/hard-sigmoid.ts';
import { maxRules } from './ops/max.ts';
import { instanceNormalizationRules, layerNormalizationRules } from './ops/normalization.ts';
import { pReluRules } from './ops/p-relu.ts';
import { logRules, powRules, reciprocalRules } from './ops/pow.ts';
import { resizeRules } from './ops/resize.ts';
import { splitRules } from './ops/split.ts';
import { meanRules, sumRules } from './ops/sum.ts';
import { averagePoolRules, globalAveragePoolRules } from './ops/average-pool.ts';
import { batchNormalizationRules } from './ops/batch-normalization.ts';
import { clipRules } from './ops/clip.ts';
import { concatRules } from './ops/concat.ts';
import { convRules } from './ops/conv.ts';
import { convTransposeRules } from './ops/conv-transpose.ts';
import { depthToSpaceRules, spaceToDepthRules } from './ops/depth-to-space.ts';
import { eluRules, seluRules } from './ops/elu.ts';
import { leakyReluRules } from './ops/leaky-relu.ts';
import { globalMaxPoolRules, maxPoolRules } from './ops/max-pool.ts';
import { padRules } from './ops/pad.ts';
import { gatherElementsRules, scatterElementsRules } from './ops/scatter-elements.ts';
import { sliceRules } from './ops/slice.ts';
import { softsignRules } from './ops/softsign.ts';
import { sqrtRules } from './ops/sqrt.ts';
import { addRules } from './ops/add.ts';
import { divRules } from './ops/div.ts';
import { expRules } from './ops/exp.ts';
import { expandRules } from './ops/expand.ts';
import { gemmRules } from './ops/gemm.ts';
import { identityRules } from './ops/identity.ts';
import { logSoftmaxRules } from './ops/log-softmax.ts';
import { matMulRules } from './ops/mat-mul.ts';
import { mulRules } from './ops/mul.ts';
import { negRules } from './ops/neg.ts';
import { reduceMeanRules, reduceSumRules } from './ops/reduce-sum.ts';
import { reluRules } from './ops/relu.ts';
import { reshapeRules } from './ops/reshape.ts';
import { sigmoidRules } from './ops/sigmoid.ts';
import { softmaxRules } from './ops/softmax.ts';
import { softplusRules } from './ops/softplus.ts';
import { subRules } from './ops/sub.ts';
import { tanhRules } from './ops/tanh.ts';
import { transposeRules } from './ops/transpose.ts';
import { whereRules } from './ops/where.ts';
import type { OpRules } from './rules.ts';

/**
 * Operator type → its rules. Operators whose outputs are not float (Shape, Greater, Equal, Cast
 * to int, ...) need none: nothing flows through them. Every other operator met on a path from a
 * differentiated parameter to the loss needs an entry here.
 */
export const RULES: ReadonlyMap<string, OpRules> = new Map<string, OpRules>([
  ['Abs', absRules],
  ['Add', addRules],
  ['AveragePool', averagePoolRules],
  ['BatchNormalization', batchNormalizationRules],
  ['Cast', castRules],
  ['Ceil', ceilRules],
  ['Clip', clipRules],
  ['Concat', concatRules],
  ['Conv', convRules],
  ['ConvTranspose', convTransposeRules],
  ['DepthToSpace', depthToSpaceRules],
  ['Div', divRules],
  ['Elu', eluRules],
  ['Erf', erfRules],
  ['Exp', expRules],
  ['Expand', expandRules],
  ['Flatten', reshapeRules],
  ['Floor', ceilRules],
  ['Gather', gatherRules],
  ['GatherElements', gatherElementsRules],
  ['Gemm', gemmRules],
  ['GlobalAveragePool', globalAveragePoolRules],
  ['GlobalMaxPool', globalMaxPoolRules],
  ['HardSigmoid', hardSigmoidRules],
  ['HardSwish', hardSwishRules],
  ['Identity', identityRules],
  ['InstanceNormalization', instanceNormalizationRules],
  ['LayerNormalization', layerNormalizationRules],
  ['LeakyRelu', leakyReluRules],
  ['Log', logRules],
  ['LogSoftmax', logSoftmaxRules],
  ['MatMul', matMulRules],
  ['Max', maxRules],
  ['MaxPool', maxPoolRules],
  ['Mean', meanRules],
  ['Min', maxRules],
  ['Mul', mulRules],
  ['Neg', negRules],
  ['PRelu', pReluRules],
  ['Pad', padRules],
  ['Pow', powRules],
  ['Reciprocal', reciprocalRules],
  ['ReduceMean', reduceMeanRules],
  ['ReduceSum', reduceSumRules],
  ['Relu', reluRules],
  ['Reshape', reshapeRules],
  ['Resize', resizeRules],
  ['ScatterElements', scatterElementsRules],
  ['Selu', seluRules],
  ['Sigmoid', sigmoidRules],
  ['Sign', signRules],
  ['Slice', sliceRules],
  ['Softmax', softmaxRules],
  ['Softplus', softplusRules],
  ['Softsign', softsignRules],
  ['SpaceToDepth', spaceToDepthRules],
  ['Split', splitRules],
  ['Sqrt', sqrtRules],
  ['Squeeze', reshapeRules],
  ['Sub', subRules],
  ['Sum', sumRules],
  ['Tanh', tanhRules],
  ['Transpose', transposeRules],
  ['Unsqueeze', reshapeRules],
  ['Upsample', resizeRules],
  ['Where', whereRules],
]);
