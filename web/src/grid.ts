import type { Axis, ChunkValues, SurfaceRecord, SurfaceResult } from '../../contract/index.ts';

/** State of one grid point while a surface computes. */
export const PENDING = 0;
export const FINITE = 1;
export const NON_FINITE = 2;
/**
 * Not computed yet, but drawn while a surface refines progressively: interpolated between the
 * points computed so far, or a preview on a subset of the samples (previewGrid). Never exported.
 */
export const PREVIEW = 3;
/** Share of the pending grey mixed into a PREVIEW point's colour, so what is not computed yet looks washed out. */
export const PREVIEW_WASH = 0.45;

/**
 * A surface as the viewer holds it: row-major Float64 grids (exactly the API's numbers) (`loss[iy * nx + ix]`), NaN wherever a
 * value is missing, plus a state per point so "not computed yet" (drawn flat and grey) and
 * "computed but NaN/±Inf" (drawn as a hole) stay distinct. 1D surfaces have ny = 1 and y = [0].
 */
export interface SurfaceGrid {
  kind: '1d' | '2d';
  nx: number;
  ny: number;
  x: Float64Array;
  y: Float64Array;
  loss: Float64Array;
  accuracy: Float64Array | null;
  /** Standard error of each loss over the samples (NaN where unknown); null when the surface records none. */
  lossStdError: Float64Array | null;
  state: Uint8Array;
  /** Points whose state is no longer PENDING. */
  computed: number;
}

/** A surface's axes: the API stores every request with grid.x resolved (an interpolation's default α range filled in). */
export function recordAxes(record: Pick<SurfaceRecord, 'request'>): { x: Axis; y: Axis | null } {
  const { x, y } = record.request.grid;
  if (!x) throw new Error('the surface record has no grid.x');
  return { x, y: y ?? null };
}

/** Same numbers as contract/surface.ts linspace (last point exactly max); duplicated because web code imports types only. */
export function linspace(axis: Axis): Float64Array {
  const values = new Float64Array(axis.num);
  const step = (axis.max - axis.min) / (axis.num - 1);
  for (let i = 0; i < axis.num; i++) values[i] = i === axis.num - 1 ? axis.max : axis.min + i * step;
  return values;
}

export function createGrid(xAxis: Axis, yAxis: Axis | undefined | null, hasAccuracy: boolean): SurfaceGrid {
  const x = linspace(xAxis);
  const y = yAxis ? linspace(yAxis) : Float64Array.of(0);
  const size = x.length * y.length;
  return {
    kind: yAxis ? '2d' : '1d',
    nx: x.length,
    ny: y.length,
    x,
    y,
    loss: new Float64Array(size).fill(NaN),
    accuracy: hasAccuracy ? new Float64Array(size).fill(NaN) : null,
    lossStdError: new Float64Array(size).fill(NaN),
    state: new Uint8Array(size),
    computed: 0,
  };
}

/** Writes one SSE chunk (values at columns ix of row iy) into the grid; returns the points newly filled. */
export function applyChunk(grid: SurfaceGrid, chunk: ChunkValues): number {
  if (chunk.iy < 0 || chunk.iy >= grid.ny || chunk.ix.length !== chunk.loss.length || chunk.ix.some((ix) => ix < 0 || ix >= grid.nx)) {
    throw new RangeError(`chunk ${chunk.index} (row ${chunk.iy}, columns ${chunk.ix.join(',')}, ${chunk.loss.length} values) lies outside the ${grid.ny}×${grid.nx} grid`);
  }
  let filled = 0;
  for (let k = 0; k < chunk.loss.length; k++) {
    const at = chunk.iy * grid.nx + chunk.ix[k];
    if (grid.state[at] === PENDING) filled++;
    const loss = chunk.loss[k];
    grid.loss[at] = loss ?? NaN;
    grid.state[at] = loss === null ? NON_FINITE : FINITE;
    if (grid.accuracy) grid.accuracy[at] = chunk.accuracy?.[k] ?? NaN;
    if (grid.lossStdError) grid.lossStdError[at] = chunk.lossStdError?.[k] ?? NaN;
  }
  grid.computed += filled;
  return filled;
}

/**
 * What to draw of a surface still refining progressively: its computed values as they are, and at
 * every point not computed yet (PREVIEW) the value of the sample-subset preview there, if any, else
 * one interpolated between the points that have a value — linearly along each row between its
 * nearest ones, then along each column between the nearest rows that have any (constant beyond the
 * outermost). On the coarse grids of the refinement levels (all pairs of some columns and some
 * rows) that is bilinear interpolation. Non-finite points stay holes and are no anchors.
 */
export function previewGrid(grid: SurfaceGrid, subset: SurfaceGrid | null): SurfaceGrid {
  const size = grid.nx * grid.ny;
  const state = grid.state.slice();
  const anchor = new Uint8Array(size);
  const loss = grid.loss.slice();
  const accuracy = grid.accuracy?.slice() ?? null;
  for (let at = 0; at < size; at++) {
    if (state[at] === FINITE) anchor[at] = 1;
    else if (state[at] === PENDING) {
      state[at] = PREVIEW;
      if (subset?.state[at] === FINITE) {
        anchor[at] = 1;
        loss[at] = subset.loss[at];
        if (accuracy) accuracy[at] = subset.accuracy?.[at] ?? NaN;
      }
    }
  }
  // Nothing to draw from yet: the pending grid as it is (flat and grey).
  if (!anchor.includes(1)) return grid;
  for (const values of accuracy ? [loss, accuracy] : [loss]) interpolate(values, anchor, state, grid.nx, grid.ny);
  return { ...grid, state, loss, accuracy };
}

/**
 * Linear interpolation along one line of `values` (count positions from `start`, `step` apart): each
 * position to `fill` between two `anchored` ones gets the value on the segment between them; before
 * the first and after the last anchored one, that one's value. At least one position is anchored.
 */
function fillLine(values: Float64Array, start: number, step: number, count: number, anchored: (k: number) => boolean, fill: (k: number) => boolean): void {
  const at = (k: number) => start + k * step;
  let previous = -1;
  for (let k = 0; k <= count; k++) {
    if (k < count && !anchored(k)) continue;
    for (let j = previous + 1; j < k; j++) {
      if (!fill(j)) continue;
      if (previous < 0) values[at(j)] = values[at(k)];
      else if (k === count) values[at(j)] = values[at(previous)];
      else values[at(j)] = values[at(previous)] + ((values[at(k)] - values[at(previous)]) * (j - previous)) / (k - previous);
    }
    previous = k;
  }
}

/** Fills the PREVIEW points of `values` (row-major nx × ny) from the anchors: along the rows that have any, then along the columns between those rows. */
function interpolate(values: Float64Array, anchor: Uint8Array, state: Uint8Array, nx: number, ny: number): void {
  const rowAnchored = new Uint8Array(ny);
  for (let iy = 0; iy < ny; iy++) {
    for (let ix = 0; ix < nx; ix++) if (anchor[iy * nx + ix]) rowAnchored[iy] = 1;
    if (rowAnchored[iy]) fillLine(values, iy * nx, 1, nx, (ix) => anchor[iy * nx + ix] === 1, (ix) => state[iy * nx + ix] === PREVIEW);
  }
  for (let ix = 0; ix < nx; ix++) fillLine(values, ix, nx, ny, (iy) => rowAnchored[iy] === 1, (iy) => state[iy * nx + ix] === PREVIEW);
}

/** A finished grid: a surface's result, or anything with its layout (a difference surface). */
export function gridFromResult(result: Pick<SurfaceResult, 'kind' | 'shape' | 'axes' | 'loss' | 'accuracy'> & { lossStdError?: (number | null)[][] | null }): SurfaceGrid {
  const [ny, nx] = result.shape;
  const grid: SurfaceGrid = {
    kind: result.kind,
    nx,
    ny,
    x: Float64Array.from(result.axes.x),
    y: result.axes.y ? Float64Array.from(result.axes.y) : Float64Array.of(0),
    loss: new Float64Array(nx * ny),
    accuracy: result.accuracy ? new Float64Array(nx * ny) : null,
    lossStdError: result.lossStdError ? new Float64Array(nx * ny) : null,
    state: new Uint8Array(nx * ny),
    computed: nx * ny,
  };
  for (let iy = 0; iy < ny; iy++) {
    for (let ix = 0; ix < nx; ix++) {
      const at = iy * nx + ix;
      const loss = result.loss[iy][ix];
      grid.loss[at] = loss ?? NaN;
      grid.state[at] = loss === null ? NON_FINITE : FINITE;
      if (grid.accuracy) grid.accuracy[at] = result.accuracy?.[iy][ix] ?? NaN;
      if (grid.lossStdError) grid.lossStdError[at] = result.lossStdError?.[iy][ix] ?? NaN;
    }
  }
  return grid;
}

/** Index of the axis value nearest to `value` (axes are sorted linspaces). */
export function nearestIndex(axis: Float64Array, value: number): number {
  let best = 0;
  for (let i = 1; i < axis.length; i++) if (Math.abs(axis[i] - value) < Math.abs(axis[best] - value)) best = i;
  return best;
}

export interface SurfaceMarker {
  ix: number;
  iy: number;
  label: string;
  color: string;
  /** Where the label goes from its dot (right of it, above it): away from the other marker. */
  labelSide: { right: boolean; above: boolean };
}

export const THETA_STAR_COLOR = '#ffffff';
export const MINIMUM_COLOR = '#ff3df2';

/**
 * The points the views mark: θ* (the grid point nearest α = β = 0) and the grid minimum, or one
 * marker "θ* = min" when they are the same point (two labels there would print over each other).
 * Each label sits on the side of its dot away from the other marker, so that a minimum next to θ*
 * covers neither label; on a shared row θ*'s goes above and the minimum's below.
 */
export function surfaceMarkers(grid: SurfaceGrid): SurfaceMarker[] {
  const origin = { ix: nearestIndex(grid.x, 0), iy: grid.kind === '2d' ? nearestIndex(grid.y, 0) : 0 };
  let best = -1;
  for (let i = 0; i < grid.loss.length; i++) if (grid.state[i] === FINITE && (best < 0 || grid.loss[i] < grid.loss[best])) best = i;
  const minimum = best >= 0 ? { ix: best % grid.nx, iy: Math.floor(best / grid.nx) } : null;
  const alone = { right: true, above: true };
  if (!minimum) return [{ ...origin, label: 'θ*', color: THETA_STAR_COLOR, labelSide: alone }];
  if (minimum.ix === origin.ix && minimum.iy === origin.iy) return [{ ...origin, label: 'θ* = min', color: THETA_STAR_COLOR, labelSide: alone }];
  return [
    { ...origin, label: 'θ*', color: THETA_STAR_COLOR, labelSide: { right: !(minimum.ix > origin.ix), above: !(minimum.iy > origin.iy) } },
    { ...minimum, label: 'min', color: MINIMUM_COLOR, labelSide: { right: !(origin.ix > minimum.ix), above: origin.iy < minimum.iy } },
  ];
}

export interface PointReadout {
  ix: number;
  iy: number;
  alpha: number;
  beta: number | null;
  loss: number | null;
  accuracy: number | null;
  /** Standard error of the loss (of a difference: of L_A − L_B); null where unknown. */
  lossStdError: number | null;
  state: number;
}

export function readPoint(grid: SurfaceGrid, ix: number, iy: number): PointReadout {
  const at = iy * grid.nx + ix;
  const loss = grid.loss[at];
  const accuracy = grid.accuracy ? grid.accuracy[at] : NaN;
  const stdError = grid.lossStdError ? grid.lossStdError[at] : NaN;
  return {
    ix,
    iy,
    alpha: grid.x[ix],
    beta: grid.kind === '2d' ? grid.y[iy] : null,
    loss: Number.isFinite(loss) ? loss : null,
    accuracy: Number.isFinite(accuracy) ? accuracy : null,
    lossStdError: Number.isFinite(stdError) ? stdError : null,
    state: grid.state[at],
  };
}
