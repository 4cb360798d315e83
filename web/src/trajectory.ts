import type { Trajectory } from '../../contract/index.ts';
import type { SurfaceGrid } from './grid.ts';

/** One checkpoint of a training path in a surface's plane. */
export interface PathPoint {
  epoch: number;
  alpha: number;
  beta: number;
  /** Fractional grid indices: u = 0 at x[0], u = nx − 1 at x[nx − 1] (likewise v along y). */
  u: number;
  v: number;
  /** Within the grid's α and β range. */
  inside: boolean;
  /** Whether the point carries its epoch as a label (at most MAX_LABELS, the first and last always). */
  labelled: boolean;
}

const MAX_LABELS = 12;

/** Color of a training path on the surface and the map: none of the colormaps has a saturated red. */
export const PATH_COLOR = '#ff2020';

/**
 * The path as drawn on the 3D surface and the 2D map: the cos projection (the reference's default
 * proj_method; for principal axes it equals the least-squares one) mapped onto grid indices.
 */
export function trajectoryPath(trajectory: Trajectory, grid: Pick<SurfaceGrid, 'x' | 'y' | 'nx' | 'ny'>): PathPoint[] {
  const [x0, x1] = [grid.x[0]!, grid.x[grid.nx - 1]!];
  const [y0, y1] = [grid.y[0]!, grid.y[grid.ny - 1]!];
  const count = trajectory.cos.length;
  const every = Math.ceil(count / MAX_LABELS);
  return trajectory.cos.map(([alpha, beta], k) => {
    const u = ((alpha - x0) / (x1 - x0)) * (grid.nx - 1);
    const v = ((beta - y0) / (y1 - y0)) * (grid.ny - 1);
    return {
      epoch: trajectory.epochs[k]!,
      alpha,
      beta,
      u,
      v,
      inside: u >= 0 && u <= grid.nx - 1 && v >= 0 && v <= grid.ny - 1,
      labelled: k % every === 0 || k === count - 1,
    };
  });
}

/** Bilinear interpolation of a row-major nx × ny field at fractional indices inside the grid. */
export function bilinear(field: ArrayLike<number>, stride: number, offset: number, nx: number, ny: number, u: number, v: number): number {
  const i = Math.min(Math.floor(u), nx - 2);
  const j = Math.min(Math.floor(v), ny - 2);
  const fu = u - i;
  const fv = v - j;
  const at = (ix: number, iy: number) => field[(iy * nx + ix) * stride + offset]!;
  return (1 - fv) * ((1 - fu) * at(i, j) + fu * at(i + 1, j)) + fv * ((1 - fu) * at(i, j + 1) + fu * at(i + 1, j + 1));
}
