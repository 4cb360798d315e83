import { FINITE, PENDING, PREVIEW, PREVIEW_WASH, type SurfaceGrid } from './grid.ts';
import { writeColor } from './colormap.ts';
import { normalize, type ValueRange } from './scale.ts';

/**
 * World layout of a surface: α across x ∈ [-1, 1], β across y ∈ [-1, 1] (whatever the grid's
 * ranges, like a matplotlib 3D box), displayed value up z ∈ [0, SURFACE_HEIGHT]. Grid axes are
 * linspaces, so world position is linear in the (fractional) grid index.
 */
export const SURFACE_HEIGHT = 1;
/** Grey of points not computed yet. */
export const PENDING_GREY = 0.62;

/** Whether a point has a height to draw: computed and finite, or a preview value (grid.ts previewGrid). */
function drawable(grid: SurfaceGrid, displayed: ArrayLike<number>, at: number): boolean {
  return (grid.state[at] === FINITE || grid.state[at] === PREVIEW) && !Number.isNaN(displayed[at]);
}

export function indexToWorld(index: number, count: number): number {
  return count > 1 ? -1 + (2 * index) / (count - 1) : 0;
}

export function worldToIndex(world: number, count: number): number {
  return count > 1 ? ((world + 1) * (count - 1)) / 2 : 0;
}

export function heightOf(value: number, range: ValueRange): number {
  return normalize(value, range) * SURFACE_HEIGHT;
}

export interface HeightfieldBuffers {
  /** xyz per grid point; points without a finite value sit at z = 0. */
  positions: Float32Array;
  /** RGB per grid point: colormap of the displayed value, grey while pending. */
  colors: Float32Array;
  /** Triangles of the cells whose four corners are finite; every other cell is left open (a hole). */
  surfaceIndex: Uint32Array;
  surfaceIndexCount: number;
  /** Triangles of the cells with a pending corner: drawn flat and grey under the growing surface. */
  pendingIndex: Uint32Array;
  pendingIndexCount: number;
}

/** Room for every cell's two triangles, so index buffers are allocated once per grid shape. */
export function indexCapacity(nx: number, ny: number): number {
  return Math.max(0, (nx - 1) * (ny - 1) * 6);
}

/** Another quantity than the heights to color a heightfield by (an ensemble's spread over its median surface). */
export interface ColorField {
  /** One value per grid point, row-major like the grid; NaN: grey. */
  values: ArrayLike<number>;
  range: ValueRange;
  /** What the colors show, for the color bar. */
  quantity: string;
}

/**
 * Fills (or allocates) the buffers of a heightfield from a displayed grid (see scale.ts), colored
 * by the displayed values or by `colorBy`. Passing the previous buffers reuses their memory, so a
 * surface growing row by row does not reallocate.
 */
export function buildHeightfield(
  grid: SurfaceGrid,
  displayed: ArrayLike<number>,
  range: ValueRange,
  colormap: Float32Array,
  reuse?: HeightfieldBuffers,
  colorBy?: ColorField,
): HeightfieldBuffers {
  const { nx, ny } = grid;
  const points = nx * ny;
  const fits = reuse && reuse.positions.length === points * 3;
  const positions = fits ? reuse.positions : new Float32Array(points * 3);
  const colors = fits ? reuse.colors : new Float32Array(points * 3);
  const surfaceIndex = fits ? reuse.surfaceIndex : new Uint32Array(indexCapacity(nx, ny));
  const pendingIndex = fits ? reuse.pendingIndex : new Uint32Array(indexCapacity(nx, ny));
  for (let iy = 0; iy < ny; iy++) {
    for (let ix = 0; ix < nx; ix++) {
      const at = iy * nx + ix;
      const value = displayed[at];
      const finite = drawable(grid, displayed, at);
      positions[at * 3] = indexToWorld(ix, nx);
      positions[at * 3 + 1] = indexToWorld(iy, ny);
      positions[at * 3 + 2] = finite ? heightOf(value, range) : 0;
      const color = colorBy ? colorBy.values[at] : value;
      if (finite && !Number.isNaN(color)) writeColor(colormap, normalize(color, colorBy?.range ?? range), colors, at * 3);
      else colors.fill(PENDING_GREY, at * 3, at * 3 + 3);
      if (finite && grid.state[at] === PREVIEW) {
        for (let c = at * 3; c < at * 3 + 3; c++) colors[c] += (PENDING_GREY - colors[c]) * PREVIEW_WASH;
      }
    }
  }
  let surfaceIndexCount = 0;
  let pendingIndexCount = 0;
  const isFinite = (at: number) => drawable(grid, displayed, at);
  for (let iy = 0; iy < ny - 1; iy++) {
    for (let ix = 0; ix < nx - 1; ix++) {
      const a = iy * nx + ix;
      const b = a + 1;
      const c = a + nx;
      const d = c + 1;
      if (isFinite(a) && isFinite(b) && isFinite(c) && isFinite(d)) {
        surfaceIndexCount = writeCell(surfaceIndex, surfaceIndexCount, a, b, c, d);
      } else if (grid.state[a] === PENDING || grid.state[b] === PENDING || grid.state[c] === PENDING || grid.state[d] === PENDING) {
        pendingIndexCount = writeCell(pendingIndex, pendingIndexCount, a, b, c, d);
      }
    }
  }
  // Stale triangles past the counts would still feed vertex normals; blank them.
  surfaceIndex.fill(0, surfaceIndexCount);
  pendingIndex.fill(0, pendingIndexCount);
  return { positions, colors, surfaceIndex, surfaceIndexCount, pendingIndex, pendingIndexCount };
}

/** Two counter-clockwise triangles of the cell a b / c d (a, b on row iy; c, d on row iy + 1). */
function writeCell(index: Uint32Array, at: number, a: number, b: number, c: number, d: number): number {
  index[at] = a;
  index[at + 1] = b;
  index[at + 2] = d;
  index[at + 3] = a;
  index[at + 4] = d;
  index[at + 5] = c;
  return at + 6;
}

/** A flat copy of the grid at z = 0, for the pending cells. */
export function flatPositions(nx: number, ny: number): Float32Array {
  const positions = new Float32Array(nx * ny * 3);
  for (let iy = 0; iy < ny; iy++) {
    for (let ix = 0; ix < nx; ix++) {
      const at = (iy * nx + ix) * 3;
      positions[at] = indexToWorld(ix, nx);
      positions[at + 1] = indexToWorld(iy, ny);
    }
  }
  return positions;
}

/**
 * World-space segments (xyz pairs) of isolines given in fractional grid indices, at the height of
 * their level (lifted slightly so they are not buried in the surface) or flat at `fixedZ`.
 */
export function isolinePositions(
  lines: readonly { value: number; segments: Float32Array }[],
  nx: number,
  ny: number,
  range: ValueRange,
  placement: { lift: number } | { fixedZ: number },
): Float32Array {
  const total = lines.reduce((sum, line) => sum + line.segments.length / 2, 0);
  const out = new Float32Array(total * 3);
  let k = 0;
  for (const line of lines) {
    const z = 'fixedZ' in placement ? placement.fixedZ : heightOf(line.value, range) + placement.lift;
    for (let i = 0; i < line.segments.length; i += 2) {
      out[k++] = indexToWorld(line.segments[i], nx);
      out[k++] = indexToWorld(line.segments[i + 1], ny);
      out[k++] = z;
    }
  }
  return out;
}

/**
 * Triangles of a coarser heightfield over the same vertices: cells `stride` points wide (the last
 * row and column of cells narrower), kept only where all four corners are finite. Drawn instead
 * of the full surface while the camera moves on a CPU rasterizer, so a 251×251 grid turns smoothly.
 */
export function coarseIndex(grid: SurfaceGrid, displayed: ArrayLike<number>, stride: number, reuse?: Uint32Array): { index: Uint32Array; count: number } {
  const { nx, ny } = grid;
  const steps = (n: number) => {
    const starts: number[] = [];
    for (let i = 0; i < n - 1; i += stride) starts.push(i);
    return starts;
  };
  const xs = steps(nx);
  const ys = steps(ny);
  const capacity = xs.length * ys.length * 6;
  const index = reuse && reuse.length === capacity ? reuse : new Uint32Array(capacity);
  const isFinite = (at: number) => drawable(grid, displayed, at);
  let count = 0;
  for (const iy of ys) {
    const iyNext = Math.min(iy + stride, ny - 1);
    for (const ix of xs) {
      const ixNext = Math.min(ix + stride, nx - 1);
      const a = iy * nx + ix;
      const b = iy * nx + ixNext;
      const c = iyNext * nx + ix;
      const d = iyNext * nx + ixNext;
      if (isFinite(a) && isFinite(b) && isFinite(c) && isFinite(d)) count = writeCell(index, count, a, b, c, d);
    }
  }
  index.fill(0, count);
  return { index, count };
}
