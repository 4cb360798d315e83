import { BufferGeometry, Float32BufferAttribute, LineSegments, Mesh } from 'three';
import { OBJExporter } from 'three/examples/jsm/exporters/OBJExporter.js';
import { STLExporter } from 'three/examples/jsm/exporters/STLExporter.js';
import { ContractError } from '../errors.ts';
import type { SurfaceResult } from '../surface.ts';
import { surfaceGrid } from './grid.ts';
import { surfaceMesh } from './mesh.ts';

/** The surface mesh (mesh.ts: z = loss, holes at non-finite points) as a three.js object: triangles, or line segments in 1D. */
function surfaceObject(result: SurfaceResult): Mesh | LineSegments {
  const mesh = surfaceMesh(surfaceGrid(result));
  const geometry = new BufferGeometry();
  geometry.setAttribute('position', new Float32BufferAttribute(mesh.positions, 3));
  if (result.kind === '1d') {
    geometry.setIndex(Array.from(mesh.segments));
    const line = new LineSegments(geometry);
    line.name = 'loss';
    return line;
  }
  const triangles: number[] = [];
  for (let q = 0; q < mesh.quads.length; q += 4) {
    const [a, b, c, d] = mesh.quads.subarray(q, q + 4);
    triangles.push(a!, b!, c!, a!, c!, d!);
  }
  geometry.setIndex(triangles);
  const surface = new Mesh(geometry);
  surface.name = 'loss';
  return surface;
}

/** Wavefront OBJ by three.js' OBJExporter: vertices (x, y, loss) and faces (2D) or lines (1D). */
export function surfaceToObj(result: SurfaceResult): string {
  return new OBJExporter().parse(surfaceObject(result));
}

/** Binary STL by three.js' STLExporter: the triangles of a 2D surface. */
export function surfaceToStl(result: SurfaceResult): Uint8Array {
  if (result.kind === '1d') throw new ContractError('format', 'STL holds triangles: a 1D surface has none (use obj, vtp, csv, npz or h5)');
  const view = new STLExporter().parse(surfaceObject(result), { binary: true }) as DataView;
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}
