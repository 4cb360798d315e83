import type { SurfaceResult } from '../surface.ts';
import { surfaceToCsv } from './surface-csv.ts';
import { surfaceToH5 } from './surface-h5.ts';
import { surfaceToObj, surfaceToStl } from './surface-mesh3d.ts';
import { surfaceToNpz } from './surface-npz.ts';
import { surfaceToVtp } from './surface-vtp.ts';
import { SURFACE_EXPORT_NAMES, type SurfaceExportName } from './format-names.ts';

export { SURFACE_EXPORT_NAMES, type SurfaceExportName };

export interface SurfaceExportFormat {
  contentType: string;
  description: string;
  /** Throws ContractError('format', …) when the surface cannot be written in this format (STL of a 1D line). */
  write(result: SurfaceResult): Uint8Array | string | Promise<Uint8Array>;
}

/** Every export of a finished surface, by file extension (the route's `:format`, the CLI's `--out` extension). */
export const SURFACE_EXPORTS = {
  h5: {
    contentType: 'application/x-hdf5',
    description: "HDF5 in the reference's layout: xcoordinates, ycoordinates, <split>_loss, <split>_acc (percent), values [ny, nx] filled [iy][ix]; NaN/±Inf kept",
    write: surfaceToH5,
  },
  vtp: { contentType: 'application/xml', description: 'ParaView PolyData: points (x, y, loss), quads, point data loss/accuracy; non-finite points are holes', write: surfaceToVtp },
  obj: { contentType: 'text/plain', description: 'Wavefront OBJ mesh (x, y, loss); non-finite points are holes', write: surfaceToObj },
  stl: { contentType: 'model/stl', description: 'Binary STL triangles (x, y, loss), 2D surfaces only; non-finite points are holes', write: surfaceToStl },
  npz: { contentType: 'application/zip', description: 'NumPy archive: x, y, loss [ny, nx], accuracy, provenance; NaN/±Inf kept', write: surfaceToNpz },
  csv: { contentType: 'text/csv', description: 'ix, iy, x, y, loss, accuracy per grid point; NaN/Infinity written out', write: surfaceToCsv },
  json: { contentType: 'application/json', description: 'The result as GET /surfaces/{id}/result returns it (non-finite: null, listed in nonFinite)', write: (result) => JSON.stringify(result) },
} satisfies Record<SurfaceExportName, SurfaceExportFormat>;

/** The export as bytes. */
export async function exportSurface(result: SurfaceResult, format: SurfaceExportName): Promise<Uint8Array> {
  const written = await SURFACE_EXPORTS[format].write(result);
  return typeof written === 'string' ? new TextEncoder().encode(written) : written;
}
