import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ChunkValues, PreviewValues, Progress, SurfaceRecord, SurfaceRequest, SurfaceResult, type SurfaceEvent } from '../../contract/index.ts';
import { relayEvents } from '../sse.ts';
import { gridPoints } from '../services/quotas.ts';
import { ensembleSize } from '../../contract/ensembles.ts';
import { acceptedEnsemble, acceptedSurface, EnsembleAccepted, errorResponses, EventsQuery, IdParams, SurfaceAccepted } from './schemas.ts';

/** What GET /surfaces/{id}/events sends: each event's name (its `event:` line) with its data (the JSON of its `data:` line). */
const SurfaceEventStream = Type.Union([
  Type.Object({ event: Type.Literal('progress'), data: Progress }),
  Type.Object({ event: Type.Literal('chunk'), data: ChunkValues }),
  Type.Object({ event: Type.Literal('preview'), data: PreviewValues }),
  Type.Object({ event: Type.Literal('done'), data: Type.Object({ status: Type.Literal('completed') }) }),
  Type.Object({ event: Type.Literal('failed'), data: Type.Object({ code: Type.String(), message: Type.String() }) }),
  Type.Object({ event: Type.Literal('cancelled'), data: Type.Object({}) }),
]);

const surfaceRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { surfaces, ensembles, quotas, redis, keys } = app.services;

  app.post(
    '/surfaces',
    {
      schema: {
        tags: ['surfaces'],
        summary: 'Queue a 1D or 2D loss surface',
        description:
          'f(α) = L(θ* + αδ) (grid.x only) or f(α, β) = L(θ* + αδ + βη) (grid.x and grid.y) over linspace grids, with seeded random directions ' +
          'normalized per filter (Li et al. 2018) by default. L is the mean per-sample loss over the chosen samples; BN runs in inference mode. ' +
          'Returns 202 at once; follow progress at links.events (SSE) and fetch links.result when done. ' +
          'With directions.ensemble = k ≥ 2: k surfaces over k seeded direction pairs, and the 202 is the ensemble\'s (kind "ensemble", links.self = ' +
          'GET /api/v1/ensembles/{id}, links.statistics, links.members); it counts k× the grid\'s points and k jobs against the quotas.',
        body: SurfaceRequest,
        response: { 202: Type.Union([SurfaceAccepted, EnsembleAccepted]), ...errorResponses },
      },
    },
    async (request, reply) => {
      const k = ensembleSize(request.body);
      const points = gridPoints(request.body.grid);
      if (k > 1) {
        const ensemble = await quotas.admit(request.principal, k * points, () => ensembles.submit(request.body, request.principal), 'grid', k);
        return acceptedEnsemble(reply, ensemble);
      }
      const record = await quotas.admit(request.principal, points, () => surfaces.submit(request.body, request.principal));
      return acceptedSurface(reply, record);
    },
  );

  app.get('/surfaces', { schema: { tags: ['surfaces'], summary: 'All surfaces, newest first', response: { 200: Type.Object({ items: Type.Array(SurfaceRecord) }) } } }, async (request) => ({
    items: await Promise.all(surfaces.list(request.principal).map((r) => surfaces.get(r.id, request.principal))),
  }));

  app.get(
    '/surfaces/:id',
    { schema: { tags: ['surfaces'], summary: 'Status, progress, provenance and timings', params: IdParams, response: { 200: SurfaceRecord, ...errorResponses } } },
    async (request) => surfaces.get(request.params.id, request.principal),
  );

  app.get(
    '/surfaces/:id/result',
    { schema: { tags: ['surfaces'], summary: 'The finished surface: loss[iy][ix] = f(x[ix], y[iy])', params: IdParams, response: { 200: SurfaceResult, ...errorResponses } } },
    async (request) => surfaces.result(request.params.id, request.principal),
  );

  app.get(
    '/surfaces/:id/directions',
    {
      schema: {
        tags: ['surfaces'],
        summary: 'The directions δ (and η) as float32 little-endian, in parameter-model order',
        description: 'Body: δ then η (2D), each parameterCount floats in the order of GET /api/v1/models/{id} parameters (offset/size).',
        params: IdParams,
        response: { 200: Type.Unsafe<Buffer>({ type: 'string', format: 'binary' }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const { bytes, parameterCount, count } = await surfaces.directions(id, request.principal);
      return reply
        .type('application/octet-stream')
        .header('x-parameter-count', String(parameterCount))
        .header('x-directions', count === 2 ? 'x,y' : 'x')
        .header('content-disposition', `attachment; filename="${id}-directions.f32"`)
        .send(bytes);
    },
  );

  app.delete(
    '/surfaces/:id',
    { schema: { tags: ['surfaces'], summary: 'Cancel: pending chunks are removed, running ones stop after their current point', params: IdParams, response: { 200: SurfaceRecord, ...errorResponses } } },
    async (request) => surfaces.cancel(request.params.id, request.principal),
  );

  app.get(
    '/surfaces/:id/events',
    {
      schema: {
        tags: ['surfaces'],
        summary: 'Server-sent events: progress, chunk values, done / failed / cancelled',
        description:
          'Each event id is a Redis stream id; reconnect with Last-Event-ID (or ?lastEventId=) to resume after it. A new client gets the whole history first. ' +
          'Events: progress {done,total} (grid points of the result computed); chunk {index, iy, ix[], level, loss[], accuracy[]|null, lossStdError[] (standard errors of loss, see SurfaceResult.lossStdError), nonFinite, seconds, engine}: ' +
          'values of the result at (ix[k], iy), from refinement level `level` (request.progressive; provenance.progressive has each level\'s size, so a client knows when a level is complete); ' +
          'preview {…chunk fields, samples}: only with request.progressive.previewSamples, values of levels 0 and 1 on a subset of the samples, never part of the result (the chunk event of the same points replaces them); ' +
          'done {status}; failed {code,message}; cancelled {}.',
        params: IdParams,
        querystring: EventsQuery,
        response: { 200: { description: 'text/event-stream of the events below until done, failed or cancelled', content: { 'text/event-stream': { schema: SurfaceEventStream } } } },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const record = await surfaces.get(id, request.principal);
      const ending: SurfaceEvent | null = !surfaces.isFinal(record.status)
        ? null
        : record.status === 'completed'
          ? { event: 'done', data: { status: 'completed' } }
          : record.status === 'failed'
            ? { event: 'failed', data: record.error ?? { code: 'FAILED', message: 'failed' } }
            : { event: 'cancelled', data: {} };
      await relayEvents(redis, request, reply, { streamKey: keys.surfaceEvents(id), ending, lastEventId: request.query.lastEventId });
    },
  );
};

export default surfaceRoutes;
