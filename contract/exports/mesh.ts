import type { SurfaceGrid } from './grid.ts';

/**
 * The surface as a mesh over the (x, y) plane with height z = loss. Non-finite points are holes:
 * they get no vertex, and a cell exists only where its four corners are finite (a 1D surface is a
 * polyline, cut where the loss is not finite). Any nx × ny works: vertices are numbered
 * row by row (iy outer), never assuming a square grid.
 */
export interface SurfaceMesh {
  /** x, y, z per vertex. */
  positions: Float32Array;
  /** Loss and accuracy (NaN when absent) per vertex. */
  loss: Float32Array;
  accuracy: Float32Array | null;
  /** Quads (2D) as 4 vertex indices each, counter-clockwise seen from +z. */
  quads: Uint32Array;
  /** Line segments (1D) as 2 vertex indices each. */
  segments: Uint32Array;
}

export function surfaceMesh(grid: SurfaceGrid): SurfaceMesh {
  const { nx, ny } = grid;
  const vertexOf = new Int32Array(nx * ny).fill(-1);
  const positions: number[] = [];
  const loss: number[] = [];
  const accuracy: number[] = [];
  for (let iy = 0; iy < ny; iy++) {
    for (let ix = 0; ix < nx; ix++) {
      const k = iy * nx + ix;
      const z = grid.loss[k]!;
      if (!Number.isFinite(z)) continue;
      vertexOf[k] = positions.length / 3;
      positions.push(grid.x[ix]!, grid.y ? grid.y[iy]! : 0, z);
      loss.push(z);
      if (grid.accuracy) accuracy.push(grid.accuracy[k]!);
    }
  }
  const quads: number[] = [];
  const segments: number[] = [];
  if (grid.y) {
    for (let iy = 0; iy + 1 < ny; iy++) {
      for (let ix = 0; ix + 1 < nx; ix++) {
        const corners = [iy * nx + ix, iy * nx + ix + 1, (iy + 1) * nx + ix + 1, (iy + 1) * nx + ix].map((k) => vertexOf[k]!);
        if (corners.every((v) => v >= 0)) quads.push(...corners);
      }
    }
  } else {
    for (let ix = 0; ix + 1 < nx; ix++) {
      if (vertexOf[ix]! >= 0 && vertexOf[ix + 1]! >= 0) segments.push(vertexOf[ix]!, vertexOf[ix + 1]!);
    }
  }
  return {
    positions: new Float32Array(positions),
    loss: new Float32Array(loss),
    accuracy: grid.accuracy ? new Float32Array(accuracy) : null,
    quads: new Uint32Array(quads),
    segments: new Uint32Array(segments),
  };
}
