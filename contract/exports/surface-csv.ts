import type { SurfaceResult } from '../surface.ts';
import { surfaceGrid } from './grid.ts';

/**
 * One row per grid point, row-major (iy outer): ix, iy, x, y, loss, accuracy, then loss_std_error
 * when the surface has standard errors (SurfaceResult.lossStdError; NaN where null). Non-finite
 * losses are written NaN / Infinity / -Infinity; accuracy is empty for regression losses, y is 0 in 1D.
 */
export function surfaceToCsv(result: SurfaceResult): string {
  const grid = surfaceGrid(result);
  const lines = [grid.lossStdError ? 'ix,iy,x,y,loss,accuracy,loss_std_error' : 'ix,iy,x,y,loss,accuracy'];
  for (let iy = 0; iy < grid.ny; iy++) {
    for (let ix = 0; ix < grid.nx; ix++) {
      const k = iy * grid.nx + ix;
      const accuracy = grid.accuracy ? String(grid.accuracy[k]) : '';
      const stdError = grid.lossStdError ? `,${grid.lossStdError[k]}` : '';
      lines.push(`${ix},${iy},${grid.x[ix]},${grid.y ? grid.y[iy] : 0},${grid.loss[k]},${accuracy}${stdError}`);
    }
  }
  return lines.join('\n') + '\n';
}
