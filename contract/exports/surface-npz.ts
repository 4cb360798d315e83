import { zipSync } from 'fflate';
import type { SurfaceResult } from '../surface.ts';
import { surfaceGrid } from './grid.ts';
import { npy } from './npy.ts';

/**
 * np.load-able archive: x [nx], y [ny] (2D), loss [ny, nx] float64 (loss[iy, ix] = f(x[ix], y[iy]);
 * NaN / ±Inf kept), accuracy [ny, nx] in [0, 1] (classification), loss_std_error [ny, nx] (the
 * standard error of each loss, SurfaceResult.lossStdError, NaN where null; when recorded),
 * provenance (JSON, a 0-d string).
 * 1D surfaces: loss and accuracy have shape [nx].
 */
export function surfaceToNpz(result: SurfaceResult): Uint8Array {
  const grid = surfaceGrid(result);
  const shape = grid.y ? [grid.ny, grid.nx] : [grid.nx];
  const members: Record<string, Uint8Array> = {
    'x.npy': npy(Float64Array.from(grid.x)),
    'loss.npy': npy(grid.loss, shape),
    'provenance.npy': npy(JSON.stringify(result.provenance)),
  };
  if (grid.y) members['y.npy'] = npy(Float64Array.from(grid.y));
  if (grid.accuracy) members['accuracy.npy'] = npy(grid.accuracy, shape);
  if (grid.lossStdError) members['loss_std_error.npy'] = npy(grid.lossStdError, shape);
  return zipSync(members, { level: 6 });
}
