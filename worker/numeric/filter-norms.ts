import { filterGeometry, filterIndexFn, type ParameterInfo } from '../../contract/parameters.ts';

/**
 * Euclidean norm of each filter of one tensor (`values` holds exactly that tensor, row-major).
 * Filters are the slices selected by param.filterAxes; a tensor without filter axes is one filter.
 */
export function filterNorms(values: Float32Array, param: Pick<ParameterInfo, 'shape' | 'filterAxes'>): Float64Array {
  const { filters } = filterGeometry(param);
  const size = param.shape.reduce((n, d) => n * d, 1);
  if (values.length !== size) throw new Error(`tensor of shape [${param.shape}] needs ${size} values, got ${values.length}`);
  const filterOf = filterIndexFn(param);
  const squares = new Float64Array(filters);
  for (let i = 0; i < values.length; i++) squares[filterOf(i)] += values[i]! * values[i]!;
  for (let f = 0; f < filters; f++) squares[f] = Math.sqrt(squares[f]!);
  return squares;
}
