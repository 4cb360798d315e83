import { Type, type Static } from 'typebox';

/**
 * The parameter model: every tensor of a network with the role that decides how a direction
 * treats it (method.md, "Directions"). Engines and formats differ in layout, so the filter
 * axes are stated per tensor rather than assumed.
 */
export const ParameterRole = Type.Union([
  Type.Literal('kernel'),
  Type.Literal('bias'),
  Type.Literal('bn_gamma'),
  Type.Literal('bn_beta'),
  Type.Literal('bn_moving_mean'),
  Type.Literal('bn_moving_variance'),
  Type.Literal('other'),
]);
export type ParameterRole = Static<typeof ParameterRole>;

export const ParameterInfo = Type.Object({
  name: Type.String({ description: 'Weight name as stored in the model, e.g. conv2d_1/kernel' }),
  layer: Type.String(),
  layerClass: Type.String({ description: 'Keras/tfjs layer class or ONNX op type' }),
  role: ParameterRole,
  shape: Type.Array(Type.Integer({ minimum: 0 })),
  size: Type.Integer({ minimum: 0 }),
  trainable: Type.Boolean({ description: 'false for BN moving statistics and other state' }),
  filterAxes: Type.Array(Type.Integer({ minimum: 0 }), {
    description:
      'Axes whose index selects one filter. tfjs/Keras conv and dense kernels: [rank-1] (the LAST axis); ' +
      'PyTorch/ONNX Conv and Gemm(transB=1): [0]; depthwise [kh,kw,in,mult]: [2,3]. Empty for rank ≤ 1.',
  }),
  offset: Type.Integer({ minimum: 0, description: 'Element offset of this tensor in the flat parameter vector' }),
});
export type ParameterInfo = Static<typeof ParameterInfo>;

/** Number of filters of a tensor and the element count of each filter. */
export function filterGeometry(param: Pick<ParameterInfo, 'shape' | 'filterAxes'>): { filters: number; perFilter: number } {
  const filters = param.filterAxes.reduce((n, axis) => n * param.shape[axis]!, 1);
  const size = param.shape.reduce((n, d) => n * d, 1);
  return { filters, perFilter: filters === 0 ? 0 : size / filters };
}

/**
 * Index of the filter that flat (row-major) element `i` belongs to. The filter axes must be a
 * contiguous trailing block (tfjs layouts) or a contiguous leading block (PyTorch/ONNX layouts).
 */
export function filterIndexFn(param: Pick<ParameterInfo, 'shape' | 'filterAxes'>): (i: number) => number {
  const rank = param.shape.length;
  const axes = [...param.filterAxes].sort((a, b) => a - b);
  if (axes.length === 0) return () => 0;
  const contiguous = axes.every((a, k) => k === 0 || a === axes[k - 1]! + 1);
  if (!contiguous) throw new Error(`filter axes ${axes.join(',')} of shape [${param.shape}] are not contiguous`);
  const { filters } = filterGeometry(param);
  if (axes[axes.length - 1] === rank - 1) return (i) => i % filters;
  if (axes[0] === 0) {
    const inner = param.shape.slice(axes.length).reduce((n, d) => n * d, 1);
    return (i) => Math.floor(i / inner);
  }
  throw new Error(`filter axes ${axes.join(',')} of shape [${param.shape}] are neither leading nor trailing`);
}
