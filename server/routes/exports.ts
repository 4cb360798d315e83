import type { FastifyInstance } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { SurfaceResult } from '../../contract/index.ts';
import { directionsToH5, directionsToNpz, type DirectionsExport } from '../../contract/exports/directions.ts';
import { exportSurface, SURFACE_EXPORTS, SURFACE_EXPORT_NAMES, type SurfaceExportName } from '../../contract/exports/formats.ts';
import { badRequest, HttpError } from '../errors.ts';
import type { Principal } from '../tenancy.ts';
import { errorResponses } from './schemas.ts';

const DIRECTION_EXPORTS = {
  h5: { contentType: 'application/x-hdf5', write: directionsToH5 },
  npz: { contentType: 'application/zip', write: directionsToNpz },
} as const;
type DirectionExportName = keyof typeof DIRECTION_EXPORTS;

/**
 * Everything the exports read from the app tier, in one place: a finished surface's result
 * (409 until completed, 404 for an unknown id) and its directions with the model's parameters.
 */
function exportSources(app: FastifyInstance) {
  const { surfaces, models } = app.services;
  return {
    result: (id: string, viewer: Principal): Promise<SurfaceResult> => surfaces.result(id, viewer),
    async directions(id: string, viewer: Principal): Promise<DirectionsExport> {
      const result = await surfaces.result(id, viewer);
      const { bytes, parameterCount } = await surfaces.directions(id, viewer);
      const model = models.get(result.provenance.model.id);
      if (!model) throw new HttpError(409, 'MODEL_GONE', `the model "${result.provenance.model.id}" of surface ${id} is no longer stored`);
      const all = new Float32Array(new Uint8Array(bytes).buffer);
      return {
        parameters: model.parameters,
        x: all.subarray(0, parameterCount),
        y: all.length > parameterCount ? all.subarray(parameterCount, 2 * parameterCount) : null,
        mode: result.provenance.directions.mode,
        provenance: result.provenance,
      };
    },
  };
}

function binaryResponse(contentTypes: string[], description: string) {
  return {
    description,
    content: Object.fromEntries(contentTypes.map((type) => [type, { schema: { type: 'string', format: 'binary' } }])),
  };
}

function checkFormat<T extends string>(format: string, known: readonly T[]): T {
  if (!(known as readonly string[]).includes(format)) throw badRequest('UNKNOWN_FORMAT', `unknown export format "${format}" (known: ${known.join(', ')})`, 'format');
  return format as T;
}

const exportRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const sources = exportSources(app);

  app.get(
    '/surfaces/:id/export.:format',
    {
      schema: {
        tags: ['surfaces'],
        summary: 'A finished surface as a file: h5, vtp, obj, stl, npz, csv or json',
        description: SURFACE_EXPORT_NAMES.map((name) => `${name} (${SURFACE_EXPORTS[name].contentType}): ${SURFACE_EXPORTS[name].description}.`).join(' '),
        params: Type.Object({
          id: Type.String({ minLength: 1, maxLength: 100 }),
          format: Type.String({ description: `One of ${SURFACE_EXPORT_NAMES.join(', ')}`, examples: SURFACE_EXPORT_NAMES }),
        }),
        response: { 200: binaryResponse([...new Set(SURFACE_EXPORT_NAMES.map((name) => SURFACE_EXPORTS[name].contentType))], 'The file'), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const format = checkFormat<SurfaceExportName>(request.params.format, SURFACE_EXPORT_NAMES);
      const bytes = await exportSurface(await sources.result(id, request.principal), format);
      return reply
        .type(SURFACE_EXPORTS[format].contentType)
        .header('content-disposition', `attachment; filename="surface-${id}.${format}"`)
        .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    },
  );

  const directionNames = Object.keys(DIRECTION_EXPORTS) as DirectionExportName[];
  app.get(
    '/surfaces/:id/directions/export.:format',
    {
      schema: {
        tags: ['surfaces'],
        summary: "A finished surface's directions with parameter names: h5 (the reference's direction-file layout) or npz",
        description:
          "h5: groups xdirection (and ydirection) with datasets 0, 1, … in parameter order, each with its tensor's shape and an attribute `name`, as " +
          "net_plotter.setup_direction writes them (h5_util.write_list); mode weights writes the trainable tensors (net.parameters()), states every tensor. " +
          'npz: members xdirection/<parameter name> (and ydirection/…) float32 in their shapes. Both carry the provenance.',
        params: Type.Object({
          id: Type.String({ minLength: 1, maxLength: 100 }),
          format: Type.String({ description: `One of ${directionNames.join(', ')}`, examples: directionNames }),
        }),
        response: { 200: binaryResponse(['application/x-hdf5', 'application/zip'], 'The directions file'), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const format = checkFormat<DirectionExportName>(request.params.format, directionNames);
      const bytes = await DIRECTION_EXPORTS[format].write(await sources.directions(id, request.principal));
      return reply
        .type(DIRECTION_EXPORTS[format].contentType)
        .header('content-disposition', `attachment; filename="directions-${id}.${format}"`)
        .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    },
  );
};

export default exportRoutes;
