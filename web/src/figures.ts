import { FINITE, NON_FINITE, nearestIndex, readPoint, type PointReadout, type SurfaceGrid } from './grid.ts';

/** The numbers under each surface in the compare view. */
export interface SurfaceFigures {
  /** The grid point at θ* (α = β = 0), or the nearest one when 0 is not on the grid (`exact` false). */
  origin: PointReadout & { exact: boolean };
  /** The grid point of least finite loss; null when no point is finite. */
  minimum: PointReadout | null;
  /** Share of all grid points whose loss is within 0.1 of the minimum (non-finite points never are). */
  shareWithin01: number;
  /** Share within 1.0 of the minimum. */
  shareWithin1: number;
  nonFinite: number;
  points: number;
}

export function surfaceFigures(grid: SurfaceGrid): SurfaceFigures {
  const ix0 = nearestIndex(grid.x, 0);
  const iy0 = nearestIndex(grid.y, 0);
  const origin = { ...readPoint(grid, ix0, iy0), exact: grid.x[ix0] === 0 && grid.y[iy0] === 0 };
  let best = -1;
  let nonFinite = 0;
  for (let i = 0; i < grid.loss.length; i++) {
    if (grid.state[i] === NON_FINITE) nonFinite++;
    if (grid.state[i] !== FINITE) continue;
    if (best < 0 || grid.loss[i] < grid.loss[best]) best = i;
  }
  const points = grid.loss.length;
  if (best < 0) return { origin, minimum: null, shareWithin01: 0, shareWithin1: 0, nonFinite, points };
  const minimumLoss = grid.loss[best];
  let within01 = 0;
  let within1 = 0;
  for (let i = 0; i < points; i++) {
    if (grid.state[i] !== FINITE) continue;
    const gap = grid.loss[i] - minimumLoss;
    if (gap <= 0.1) within01++;
    if (gap <= 1) within1++;
  }
  return {
    origin,
    minimum: readPoint(grid, best % grid.nx, Math.floor(best / grid.nx)),
    shareWithin01: within01 / points,
    shareWithin1: within1 / points,
    nonFinite,
    points,
  };
}
