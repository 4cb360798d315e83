import type { SurfaceResult } from '../surface.ts';

/**
 * A finished surface as flat float64 grids, row-major [iy][ix] (method.md, "Surfaces"), with the
 * non-finite values restored from `nonFinite` (the JSON result stores them as null).
 */
export interface SurfaceGrid {
  x: number[];
  /** null for 1D surfaces (ny = 1). */
  y: number[] | null;
  nx: number;
  ny: number;
  /** loss[iy * nx + ix] = f(x[ix], y[iy]); NaN / ±Infinity where the loss was not finite. */
  loss: Float64Array;
  /** Same layout, in [0, 1]; NaN where the loss was not finite; null for regression losses. */
  accuracy: Float64Array | null;
  /** Same layout: the standard error of each loss (SurfaceResult.lossStdError), NaN where it is null; null when the surface has none. */
  lossStdError: Float64Array | null;
}

export function surfaceGrid(result: SurfaceResult): SurfaceGrid {
  const nx = result.axes.x.length;
  const ny = result.axes.y?.length ?? 1;
  const loss = new Float64Array(nx * ny);
  const accuracy = result.accuracy ? new Float64Array(nx * ny) : null;
  const lossStdError = result.lossStdError ? new Float64Array(nx * ny) : null;
  for (let iy = 0; iy < ny; iy++) {
    for (let ix = 0; ix < nx; ix++) {
      loss[iy * nx + ix] = result.loss[iy]?.[ix] ?? Number.NaN;
      if (accuracy) accuracy[iy * nx + ix] = result.accuracy![iy]?.[ix] ?? Number.NaN;
      if (lossStdError) lossStdError[iy * nx + ix] = result.lossStdError![iy]?.[ix] ?? Number.NaN;
    }
  }
  for (const point of result.nonFinite) loss[point.iy * nx + point.ix] = Number(point.value);
  return { x: result.axes.x, y: result.axes.y, nx, ny, loss, accuracy, lossStdError };
}
