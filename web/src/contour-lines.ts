/**
 * Contour lines as the paper's Fig. 5 draws them (matplotlib's contour + clabel): level sets of the
 * grid's bilinear interpolant, traced by marching squares on a refined copy of the grid so that a
 * coarse grid (11×11) gives curves, not 11×11 polygons, and joined into polylines that can carry
 * labels. Coordinates are fractional grid indices (ix, iy); NaN marks a missing point, and cells
 * touching one are left out.
 */

export interface ContourLine {
  /** Interleaved points [ix0, iy0, ix1, iy1, …] in fractional grid indices of the original grid. */
  points: Float64Array;
  /** The last point joins the first (a ring around a basin). */
  closed: boolean;
}

/**
 * The bilinear interpolant of a grid sampled `factor` times finer: ((nx − 1)·factor + 1) ×
 * ((ny − 1)·factor + 1) values, the original points among them. A refined point is NaN when a corner
 * it depends on (non-zero weight) is NaN.
 */
export function refineBilinear(values: ArrayLike<number>, nx: number, ny: number, factor: number): { values: Float64Array; nx: number; ny: number } {
  const fx = (nx - 1) * factor + 1;
  const fy = (ny - 1) * factor + 1;
  const out = new Float64Array(fx * fy);
  for (let j = 0; j < fy; j++) {
    const iy = Math.min(Math.floor(j / factor), ny - 2);
    const ty = ny === 1 ? 0 : j / factor - iy;
    for (let i = 0; i < fx; i++) {
      const ix = Math.min(Math.floor(i / factor), nx - 2);
      const tx = nx === 1 ? 0 : i / factor - ix;
      out[j * fx + i] = bilinear(values, nx, ix, iy, tx, ty);
    }
  }
  return { values: out, nx: fx, ny: fy };
}

/** f at (ix + tx, iy + ty), t ∈ [0, 1]; corners with zero weight do not count (so an edge point needs only its edge). */
export function bilinear(values: ArrayLike<number>, nx: number, ix: number, iy: number, tx: number, ty: number): number {
  let sum = 0;
  for (const [dx, dy, weight] of [[0, 0, (1 - tx) * (1 - ty)], [1, 0, tx * (1 - ty)], [0, 1, (1 - tx) * ty], [1, 1, tx * ty]] as const) {
    if (weight === 0) continue;
    const v = values[(iy + dy) * nx + ix + dx];
    if (Number.isNaN(v)) return NaN;
    sum += weight * v;
  }
  return sum;
}

// Cell edges: 0 bottom (iy, from ix to ix+1), 1 right (ix+1), 2 top (iy+1), 3 left (ix).
// For each corner pattern (bit 1: (ix,iy) above, 2: (ix+1,iy), 4: (ix+1,iy+1), 8: (ix,iy+1)), the
// edge pairs the line crosses. Saddles (5, 10) are resolved by the cell centre's value below.
const EDGE_PAIRS: readonly (readonly [number, number])[][] = [
  [], [[3, 0]], [[0, 1]], [[3, 1]], [[1, 2]], [[3, 2], [1, 0]], [[0, 2]], [[3, 2]],
  [[2, 3]], [[2, 0]], [[0, 3], [2, 1]], [[2, 1]], [[1, 3]], [[1, 0]], [[0, 3]], [],
];
// The saddle pairings when the centre lies on the other side from the first choice.
const SADDLE_ALTERNATIVE: Record<number, (readonly [number, number])[]> = { 5: [[3, 0], [1, 2]], 10: [[0, 1], [2, 3]] };

/**
 * Marching squares at one level over a grid (no refinement): polylines joined across cells,
 * points interpolated linearly along cell edges.
 */
export function traceLevel(values: ArrayLike<number>, nx: number, ny: number, level: number): ContourLine[] {
  // Each crossing lives on one grid edge; key = 2·(iy·nx + ix) (+1 for the vertical edge at ix).
  const edgeKey = (ix: number, iy: number, edge: number): number =>
    edge === 0 ? 2 * (iy * nx + ix) : edge === 2 ? 2 * ((iy + 1) * nx + ix) : edge === 3 ? 2 * (iy * nx + ix) + 1 : 2 * (iy * nx + ix + 1) + 1;
  const crossing = new Map<number, [number, number]>();
  const point = (ix: number, iy: number, edge: number): number => {
    const key = edgeKey(ix, iy, edge);
    if (!crossing.has(key)) {
      const [ax, ay, bx, by] = edge === 0 ? [ix, iy, ix + 1, iy] : edge === 1 ? [ix + 1, iy, ix + 1, iy + 1] : edge === 2 ? [ix, iy + 1, ix + 1, iy + 1] : [ix, iy, ix, iy + 1];
      const a = values[ay * nx + ax];
      const b = values[by * nx + bx];
      const t = a === b ? 0.5 : (level - a) / (b - a);
      crossing.set(key, [ax + t * (bx - ax), ay + t * (by - ay)]);
    }
    return key;
  };
  // Adjacency of crossings: every crossing joins at most two segments (the cells on both sides of its edge).
  const links = new Map<number, number[]>();
  const link = (a: number, b: number) => {
    (links.get(a) ?? links.set(a, []).get(a)!).push(b);
    (links.get(b) ?? links.set(b, []).get(b)!).push(a);
  };
  for (let iy = 0; iy < ny - 1; iy++) {
    for (let ix = 0; ix < nx - 1; ix++) {
      const v00 = values[iy * nx + ix];
      const v10 = values[iy * nx + ix + 1];
      const v11 = values[(iy + 1) * nx + ix + 1];
      const v01 = values[(iy + 1) * nx + ix];
      if (Number.isNaN(v00) || Number.isNaN(v10) || Number.isNaN(v11) || Number.isNaN(v01)) continue;
      const pattern = (v00 > level ? 1 : 0) | (v10 > level ? 2 : 0) | (v11 > level ? 4 : 0) | (v01 > level ? 8 : 0);
      let pairs = EDGE_PAIRS[pattern]!;
      // A saddle: the centre (mean of the corners, the bilinear value there) decides which corners connect.
      if (pattern === 5 && (v00 + v10 + v11 + v01) / 4 <= level) pairs = SADDLE_ALTERNATIVE[5]!;
      if (pattern === 10 && (v00 + v10 + v11 + v01) / 4 <= level) pairs = SADDLE_ALTERNATIVE[10]!;
      for (const [from, to] of pairs) link(point(ix, iy, from), point(ix, iy, to));
    }
  }
  const lines: ContourLine[] = [];
  const visited = new Set<number>();
  const walk = (start: number): ContourLine => {
    const keys = [start];
    visited.add(start);
    let previous = -1;
    let current = start;
    for (;;) {
      const next = (links.get(current) ?? []).find((k) => k !== previous && !visited.has(k));
      if (next === undefined) break;
      keys.push(next);
      visited.add(next);
      previous = current;
      current = next;
    }
    const closed = keys.length > 2 && (links.get(current) ?? []).includes(start);
    const points = new Float64Array(keys.length * 2 + (closed ? 2 : 0));
    keys.forEach((key, k) => points.set(crossing.get(key)!, 2 * k));
    if (closed) points.set(crossing.get(start)!, 2 * keys.length);
    return { points, closed };
  };
  // Open lines first, from their ends (one link), then the rings that remain.
  for (const [key, neighbours] of links) if (neighbours.length === 1 && !visited.has(key)) lines.push(walk(key));
  for (const key of links.keys()) if (!visited.has(key)) lines.push(walk(key));
  return lines;
}

/**
 * Contour lines of the bilinear interpolant at one level: traced on the grid refined `factor`
 * times and mapped back to the original indices. Factor 1 is plain marching squares.
 */
export function contourLines(values: ArrayLike<number>, nx: number, ny: number, level: number, factor = 1): ContourLine[] {
  if (nx < 2 || ny < 2) return [];
  if (factor <= 1) return traceLevel(values, nx, ny, level);
  const fine = refineBilinear(values, nx, ny, factor);
  return traceLevel(fine.values, fine.nx, fine.ny, level).map((line) => ({ closed: line.closed, points: line.points.map((v) => v / factor) }));
}

/** How many times to refine a grid so that its cells are at most about `pixels` wide on screen (1 for fine grids). */
export function refinementFor(cellPixels: number, pixels = 4): number {
  return Math.max(1, Math.min(16, Math.ceil(cellPixels / pixels)));
}

export interface LabelPlacement {
  text: string;
  /** Centre of the label, in the same (screen) units as the line points given. */
  x: number;
  y: number;
  /** Rotation of the text along the line, in radians, within (−π/2, π/2] so it never reads upside down. */
  angle: number;
  width: number;
  height: number;
}

export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** Axis-aligned bounds of a label's rotated box, plus `pad`. */
export function labelBox(label: Pick<LabelPlacement, 'x' | 'y' | 'angle' | 'width' | 'height'>, pad = 0): Box {
  const c = Math.abs(Math.cos(label.angle));
  const s = Math.abs(Math.sin(label.angle));
  const halfWidth = (label.width * c + label.height * s) / 2 + pad;
  const halfHeight = (label.width * s + label.height * c) / 2 + pad;
  return { x0: label.x - halfWidth, y0: label.y - halfHeight, x1: label.x + halfWidth, y1: label.y + halfHeight };
}

const overlaps = (a: Box, b: Box) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;

/**
 * Where to put the level labels on screen-space polylines (clabel's inline labels): along each
 * line at the middle of every stretch of `spacing` pixels, rotated with the line, only where the
 * line is long and straight enough to carry the text, inside `bounds`, and never over another
 * label or a box in `avoid` (markers). Lines are tried longest first, so the big rings get labels.
 */
export function placeLabels(
  lines: readonly { points: ArrayLike<number>; text: string }[],
  measure: (text: string) => { width: number; height: number },
  options: { bounds: Box; avoid?: readonly Box[]; spacing?: number; pad?: number },
): LabelPlacement[] {
  const spacing = options.spacing ?? 220;
  const pad = options.pad ?? 3;
  const taken: Box[] = [...(options.avoid ?? [])];
  const placed: LabelPlacement[] = [];
  const measured = lines.map((line) => {
    const n = line.points.length / 2;
    const along = new Float64Array(n);
    for (let k = 1; k < n; k++) along[k] = along[k - 1]! + Math.hypot(line.points[2 * k]! - line.points[2 * k - 2]!, line.points[2 * k + 1]! - line.points[2 * k - 1]!);
    return { ...line, along, length: n > 0 ? along[n - 1]! : 0 };
  });
  measured.sort((a, b) => b.length - a.length);
  for (const line of measured) {
    const { width, height } = measure(line.text);
    // Room for the text and as much again, so a label never covers a whole short ring.
    if (line.length < 2 * width + 2 * pad) continue;
    const count = Math.max(1, Math.floor(line.length / spacing));
    for (let k = 0; k < count; k++) {
      const middle = ((k + 0.5) * line.length) / count;
      const at = pointAt(line.points, line.along, middle);
      const from = pointAt(line.points, line.along, Math.max(0, middle - width / 2));
      const to = pointAt(line.points, line.along, Math.min(line.length, middle + width / 2));
      // The chord under the text must follow the line: a sharp bend would leave the text off it.
      if (Math.hypot(to.x - from.x, to.y - from.y) < 0.8 * width) continue;
      let angle = Math.atan2(to.y - from.y, to.x - from.x);
      if (angle > Math.PI / 2) angle -= Math.PI;
      if (angle <= -Math.PI / 2) angle += Math.PI;
      const label = { text: line.text, x: at.x, y: at.y, angle, width, height };
      const box = labelBox(label, pad);
      const inside = box.x0 >= options.bounds.x0 && box.y0 >= options.bounds.y0 && box.x1 <= options.bounds.x1 && box.y1 <= options.bounds.y1;
      if (!inside || taken.some((other) => overlaps(box, other))) continue;
      taken.push(box);
      placed.push(label);
    }
  }
  return placed;
}

/** The point at arc length s along a polyline (cumulative lengths `along`). */
function pointAt(points: ArrayLike<number>, along: Float64Array, s: number): { x: number; y: number } {
  let k = 1;
  while (k < along.length - 1 && along[k]! < s) k++;
  const span = along[k]! - along[k - 1]!;
  const t = span > 0 ? (s - along[k - 1]!) / span : 0;
  return { x: points[2 * k - 2]! + t * (points[2 * k]! - points[2 * k - 2]!), y: points[2 * k - 1]! + t * (points[2 * k + 1]! - points[2 * k - 1]!) };
}
