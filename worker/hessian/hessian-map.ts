import { subgridIndices, type HessianPoint } from '../../contract/metrics/hessian.ts';
import type { ParameterInfo } from '../../contract/parameters.ts';
import { perturb } from '../numeric/vector.ts';
import { eigenRatio } from './eigen-ratio.ts';
import type { GradientFn } from './hvp.ts';

export interface HessianMapInput {
  gradient: GradientFn;
  /** θ*, flat. */
  theta: Float32Array;
  directions: { x: Float32Array; y: Float32Array | null };
  /** The surface's axes (α values, β values or null for 1D). */
  axes: { x: number[]; y: number[] | null };
  /** 1 where the Hessian is taken (trainable entries); see trainableMask. */
  mask: Uint8Array | null;
  /** Sub-grid points per axis. */
  points: number;
  maxSteps: number;
  tolerance: number;
  seed: number;
  epsilonScale?: number;
  /** Called after each point, e.g. to report job progress. */
  onPoint?: (done: number, total: number) => Promise<void> | void;
}

/** 1 for trainable entries of the flat parameter vector, 0 for state such as BN moving statistics. */
export function trainableMask(params: ParameterInfo[]): Uint8Array {
  const mask = new Uint8Array(params.reduce((n, p) => Math.max(n, p.offset + p.size), 0));
  for (const p of params) if (p.trainable) mask.fill(1, p.offset, p.offset + p.size);
  return mask;
}

function finiteOrNull(v: number | null): number | null {
  return v !== null && Number.isFinite(v) ? v : null;
}

/**
 * λmax, λmin and λmin/λmax of the full Hessian at each point of an evenly spread sub-grid of the
 * surface's own grid points (subgridIndices), row-major. Every point uses the same start-vector
 * seed, so neighbouring points differ only by their curvature.
 */
export async function hessianMap(input: HessianMapInput): Promise<HessianPoint[]> {
  const columns = subgridIndices(input.axes.x.length, input.points);
  const rows = input.axes.y ? subgridIndices(input.axes.y.length, input.points) : [0];
  const total = columns.length * rows.length;
  const point = new Float32Array(input.theta.length);
  const result: HessianPoint[] = [];
  for (const iy of rows) {
    for (const ix of columns) {
      const alpha = input.axes.x[ix]!;
      const beta = input.axes.y ? input.axes.y[iy]! : null;
      perturb(input.theta, input.directions.x, alpha, input.directions.y, beta ?? 0, point);
      const eigen = await eigenRatio(input.gradient, point, input.mask, {
        lanczos: { maxSteps: input.maxSteps, tolerance: input.tolerance },
        seed: input.seed,
        ...(input.epsilonScale === undefined ? {} : { epsilonScale: input.epsilonScale }),
      });
      const lambdaMax = finiteOrNull(eigen.lambdaMax);
      const lambdaMin = finiteOrNull(eigen.lambdaMin);
      const ratio = lambdaMax !== null && lambdaMin !== null ? finiteOrNull(eigen.ratio) : null;
      result.push({
        ix, iy, x: alpha, y: beta, lambdaMax, lambdaMin, ratio,
        absRatio: ratio === null ? null : Math.abs(ratio),
        products: eigen.products,
        converged: eigen.converged && lambdaMax !== null,
      });
      await input.onPoint?.(result.length, total);
    }
  }
  return result;
}
