import type { SurfaceResult } from '../surface.ts';
import { surfaceGrid } from './grid.ts';
import { surfaceMesh } from './mesh.ts';

/**
 * ParaView PolyData (VTK XML, ascii): one point per finite grid point at (x, y, loss), quads
 * between finite neighbours (a 1D surface: line segments), point data `loss` and `accuracy`.
 * Non-finite points are holes (no point, no cell). Unlike the reference's h52vtp.py, which takes
 * the grid as sqrt(points)², any nx × ny is laid out correctly.
 */
export function surfaceToVtp(result: SurfaceResult): string {
  const mesh = surfaceMesh(surfaceGrid(result));
  const points = mesh.positions.length / 3;
  const cells = mesh.quads.length > 0 ? { name: 'Polys', connectivity: mesh.quads, size: 4 } : { name: 'Lines', connectivity: mesh.segments, size: 2 };
  const count = cells.connectivity.length / cells.size;
  const offsets = Array.from({ length: count }, (_, i) => (i + 1) * cells.size);
  const array = (attributes: string, values: ArrayLike<number>) => `<DataArray ${attributes} format="ascii">${Array.from(values).join(' ')}</DataArray>`;
  const pointData = [array('type="Float32" Name="loss"', mesh.loss)];
  if (mesh.accuracy) pointData.push(array('type="Float32" Name="accuracy"', mesh.accuracy));
  return [
    '<?xml version="1.0"?>',
    '<VTKFile type="PolyData" version="0.1" byte_order="LittleEndian">',
    '<PolyData>',
    `<Piece NumberOfPoints="${points}" NumberOfVerts="0" NumberOfLines="${cells.name === 'Lines' ? count : 0}" NumberOfStrips="0" NumberOfPolys="${cells.name === 'Polys' ? count : 0}">`,
    `<Points>${array('type="Float32" NumberOfComponents="3"', mesh.positions)}</Points>`,
    `<PointData Scalars="loss">${pointData.join('')}</PointData>`,
    `<${cells.name}>${array('type="Int64" Name="connectivity"', cells.connectivity)}${array('type="Int64" Name="offsets"', offsets)}</${cells.name}>`,
    '</Piece>',
    '</PolyData>',
    '</VTKFile>',
    '',
  ].join('\n');
}
