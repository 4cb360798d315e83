import type { SurfaceResult } from '../surface.ts';
import { surfaceGrid } from './grid.ts';
import { writeH5 } from './h5.ts';

/**
 * A surface in the reference's h5 layout (tomgoldstein/loss-landscape plot_surface.py):
 * - `xcoordinates` float64 [nx], `ycoordinates` float64 [ny] (2D only);
 * - `<split>_loss` and `<split>_acc` float64, split = train | test (both: train followed by test),
 *   accuracy in PERCENT as the reference stores it (plot_2D.py draws `100 - acc` as error);
 * - 2D values have shape [ny, nx] and are filled [iy][ix]: value[iy][ix] = f(x[ix], y[iy]).
 *   That is the shape np.meshgrid(x, y) gives, so plot_2D.py's contour(X, Y, Z) and h52vtp.py's
 *   ravel() read it correctly for any nx ≠ ny. The reference's own files declare (nx, ny) but fill
 *   them in the same flat order, so the bytes are identical to its files and only the declared
 *   shape differs (and only when nx ≠ ny). 1D values have shape [nx].
 * - a 1D surface evaluated on train and test side by side (request.splits) has both pairs,
 *   train_loss/train_acc and test_loss/test_acc, as the reference writes a surface computed on both;
 * - NaN / ±Inf stay NaN / ±Inf (the reference also writes whatever the evaluation returned).
 * - `<split>_loss_std_error` (not in the reference), same shape: the standard error of each loss
 *   (SurfaceResult.lossStdError, NaN where null), when the surface has them.
 * - root attributes `provenance` (JSON) and `layout` (the sentence above).
 */
export const SURFACE_H5_LAYOUT = 'value[iy][ix] = f(xcoordinates[ix], ycoordinates[iy]); shape [ny, nx]; accuracy in percent';

export function lossDatasetNames(split: string): { loss: string; accuracy: string; lossStdError: string } {
  return { loss: `${split}_loss`, accuracy: `${split}_acc`, lossStdError: `${split}_loss_std_error` };
}

export function surfaceToH5(result: SurfaceResult): Promise<Uint8Array> {
  const grid = surfaceGrid(result);
  const shape = grid.y ? [grid.ny, grid.nx] : [grid.nx];
  const values = (row: (number | null)[]) => Float64Array.from(row, (v) => v ?? Number.NaN);
  const series = result.splits
    ? result.splits.map((s) => ({ split: s.split, loss: values(s.loss), accuracy: s.accuracy && values(s.accuracy), lossStdError: s.lossStdError ? values(s.lossStdError) : null }))
    : [{ split: result.provenance.dataset.split, loss: grid.loss, accuracy: grid.accuracy, lossStdError: grid.lossStdError }];
  return writeH5((file) => {
    file.create_dataset({ name: 'xcoordinates', data: Float64Array.from(grid.x) });
    if (grid.y) file.create_dataset({ name: 'ycoordinates', data: Float64Array.from(grid.y) });
    for (const { split, loss, accuracy, lossStdError } of series) {
      const names = lossDatasetNames(split);
      file.create_dataset({ name: names.loss, data: loss, shape });
      if (accuracy) file.create_dataset({ name: names.accuracy, data: accuracy.map((a) => 100 * a), shape });
      if (lossStdError) file.create_dataset({ name: names.lossStdError, data: lossStdError, shape });
    }
    file.create_attribute('layout', SURFACE_H5_LAYOUT);
    file.create_attribute('provenance', JSON.stringify(result.provenance));
  });
}
