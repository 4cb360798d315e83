import { subgridIndices, type HessianPoint } from '../../contract/metrics/hessian.ts';
import { perturb } from '../numeric/vector.ts';
import { extremeEigenvalues } from './eigen-ratio.ts';
import type { LinearOperator } from './hvp.ts';

export interface HessianMapInput {
  /** The Hessian at a flat parameter vector (hvp.ts hessianAt). */
  hessianAt: (point: Float32Array) => LinearOperator;
  /** θ*, flat. */
  theta: Float32Array;
  directions: { x: Float32Array; y: Float32Array | null };
  /** The surface's axes (α values, β values or null for 1D). */
  axes: { x: number[]; y: number[] | null };
  /** 1 where the Hessian is taken (the engine's differentiated parameters). */
  mask: Uint8Array | null;
  /** Sub-grid points per axis. */
  points: number;
  maxSteps: number;
  tolerance: number;
  seed: number;
  /** Points already computed by an earlier, interrupted run (by hessianPointKey), reused instead of recomputed. */
  done?: ReadonlyMap<string, HessianPoint>;
  /** Called after each newly computed point, e.g. to store it and report job progress (done counts reused points too). */
  onPoint?: (point: HessianPoint, done: number, total: number) => Promise<void> | void;
}

/** The key of a sub-grid point in HessianMapInput.done (and in the job's Redis hash of finished points). */
export function hessianPointKey(iy: number, ix: number): string {
  return `${iy},${ix}`;
}

function finiteOrNull(v: number | null): number | null {
  return v !== null && Number.isFinite(v) ? v : null;
}

/**
 * λmax, λmin and λmin/λmax of the Hessian at each point of an evenly spread sub-grid of the
 * surface's own grid points (subgridIndices), row-major. Every point uses the same start-vector
 * seed, so neighbouring points differ only by their curvature, and a point reused from `done`
 * equals the one a rerun would compute.
 */
export async function hessianMap(input: HessianMapInput): Promise<HessianPoint[]> {
  const columns = subgridIndices(input.axes.x.length, input.points);
  const rows = input.axes.y ? subgridIndices(input.axes.y.length, input.points) : [0];
  const cells = rows.flatMap((iy) => columns.map((ix) => ({ iy, ix, reused: input.done?.get(hessianPointKey(iy, ix)) })));
  let finished = cells.filter((cell) => cell.reused).length;
  const point = new Float32Array(input.theta.length);
  const result: HessianPoint[] = [];
  for (const { iy, ix, reused } of cells) {
    if (reused) {
      result.push(reused);
      continue;
    }
    const alpha = input.axes.x[ix]!;
    const beta = input.axes.y ? input.axes.y[iy]! : null;
    perturb(input.theta, input.directions.x, alpha, input.directions.y, beta ?? 0, point);
    const eigen = await extremeEigenvalues(input.hessianAt(point), point.length, input.mask, {
      lanczos: { maxSteps: input.maxSteps, tolerance: input.tolerance },
      seed: input.seed,
    });
    const lambdaMax = finiteOrNull(eigen.lambdaMax);
    const lambdaMin = finiteOrNull(eigen.lambdaMin);
    const ratio = lambdaMax !== null && lambdaMin !== null ? finiteOrNull(eigen.ratio) : null;
    const computed: HessianPoint = {
      ix, iy, x: alpha, y: beta, lambdaMax, lambdaMin, ratio,
      absRatio: ratio === null ? null : Math.abs(ratio),
      products: eigen.products,
      converged: eigen.converged && lambdaMax !== null,
    };
    result.push(computed);
    await input.onPoint?.(computed, ++finished, cells.length);
  }
  return result;
}
