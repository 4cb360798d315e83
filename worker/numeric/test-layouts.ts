import type { ParameterInfo } from '../../contract/parameters.ts';
import { gaussianStream } from './rng.ts';

/** Kernel layouts the filter tests cover, with the filter axes method.md gives each. */
export const KERNEL_LAYOUTS: { label: string; shape: number[]; filterAxes: number[] }[] = [
  { label: 'tfjs conv2d [kh,kw,in,out]', shape: [3, 3, 4, 8], filterAxes: [3] },
  { label: 'tfjs dense [in,out]', shape: [5, 7], filterAxes: [1] },
  { label: 'PyTorch conv [out,in,kh,kw]', shape: [8, 4, 3, 3], filterAxes: [0] },
  { label: 'depthwise [kh,kw,in,mult]', shape: [3, 3, 4, 2], filterAxes: [2, 3] },
];

export function kernelParam(shape: number[], filterAxes: number[], offset = 0): ParameterInfo {
  const size = shape.reduce((n, d) => n * d, 1);
  return { name: 'layer/kernel', layer: 'layer', layerClass: 'Conv2D', role: 'kernel', shape, size, trainable: true, filterAxes, offset };
}

export function randomValues(size: number, seed: number): Float32Array {
  const normal = gaussianStream(seed);
  return Float32Array.from({ length: size }, normal);
}

/** The filter of flat element i: the row-major position of its coordinates on the filter axes (independent of filterIndexFn). */
export function referenceFilterIndex(i: number, shape: number[], filterAxes: number[]): number {
  const coords: number[] = [];
  let rest = i;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    coords[axis] = rest % shape[axis]!;
    rest = Math.floor(rest / shape[axis]!);
  }
  return filterAxes.reduce((f, a) => f * shape[a]! + coords[a]!, 0);
}

export function referenceFilterNorms(values: Float32Array, shape: number[], filterAxes: number[]): number[] {
  const filters = filterAxes.reduce((n, a) => n * shape[a]!, 1);
  const sums = new Array<number>(filters).fill(0);
  for (let i = 0; i < values.length; i++) sums[referenceFilterIndex(i, shape, filterAxes)] += values[i]! ** 2;
  return sums.map(Math.sqrt);
}
