import { subgridIndices, type HessianPoint } from '../../contract/metrics/hessian.ts';
import { perturb } from '../numeric/vector.ts';
import { extremeEigenvalues } from './eigen-ratio.ts';
import type { LinearOperator } from './hvp.ts';

/** A point of a map's sub-grid: its row and column in the SURFACE grid. */
export interface HessianCell {
  iy: number;
  ix: number;
}

export interface HessianPointsInput {
  /** The Hessian at a flat parameter vector (hvp.ts hessianAt). */
  hessianAt: (point: Float32Array) => LinearOperator;
  /** θ*, flat. */
  theta: Float32Array;
  directions: { x: Float32Array; y: Float32Array | null };
  /** The surface's axes (α values, β values or null for 1D). */
  axes: { x: number[]; y: number[] | null };
  /** 1 where the Hessian is taken (the engine's differentiated parameters). */
  mask: Uint8Array | null;
  maxSteps: number;
  tolerance: number;
  seed: number;
  /** The next point to compute, or null when none is left to this caller (e.g. the Redis claims of worker/hessian-map-state.ts). */
  next: () => Promise<HessianCell | null>;
  /** Called with each computed point, e.g. to store it. */
  onPoint: (point: HessianPoint) => Promise<void> | void;
}

/** The key of a sub-grid point in the job's Redis hashes of finished and claimed points. */
export function hessianPointKey(iy: number, ix: number): string {
  return `${iy},${ix}`;
}

/** The map's evenly spread sub-grid of the surface's own grid points (subgridIndices), row-major: the order of HessianMapResult.points. */
export function hessianMapCells(axes: { x: number[]; y: number[] | null }, points: number): HessianCell[] {
  const columns = subgridIndices(axes.x.length, points);
  const rows = axes.y ? subgridIndices(axes.y.length, points) : [0];
  return rows.flatMap((iy) => columns.map((ix) => ({ iy, ix })));
}

function finiteOrNull(v: number | null): number | null {
  return v !== null && Number.isFinite(v) ? v : null;
}

/**
 * λmax, λmin and λmin/λmax of the Hessian at each point `next` hands out, until it hands out none;
 * returns how many were computed. A point depends on nothing but its own coordinates and the
 * settings: θ is rebuilt from θ*, the directions and its (α, β), and every point's Lanczos starts
 * from the same seeded vector. So neighbouring points differ only by their curvature, and a point
 * equals itself bit for bit whichever worker computes it, in whatever order, after whatever else.
 */
export async function hessianPoints(input: HessianPointsInput): Promise<number> {
  const point = new Float32Array(input.theta.length);
  let computed = 0;
  for (let cell = await input.next(); cell; cell = await input.next()) {
    const { ix, iy } = cell;
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
    await input.onPoint({
      ix, iy, x: alpha, y: beta, lambdaMax, lambdaMin, ratio,
      absRatio: ratio === null ? null : Math.abs(ratio),
      products: eigen.products,
      converged: eigen.converged && lambdaMax !== null,
    });
    computed++;
  }
  return computed;
}
