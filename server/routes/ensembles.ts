import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { EnsembleRecord } from '../../contract/ensembles.ts';
import { EnsembleStatistics } from '../../contract/metrics/ensemble.ts';
import { errorResponses, IdParams } from './schemas.ts';

/** Direction ensembles (queued by POST /api/v1/surfaces with directions.ensemble ≥ 2). */
const ensembleRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { ensembles } = app.services;

  app.get(
    '/ensembles',
    { schema: { tags: ['surfaces'], summary: 'All direction ensembles, newest first', response: { 200: Type.Object({ items: Type.Array(EnsembleRecord) }) } } },
    async (request) => ({ items: await ensembles.list(request.principal) }),
  );

  app.get(
    '/ensembles/:id',
    {
      schema: {
        tags: ['surfaces'],
        summary: 'A direction ensemble: status and progress over its members, every member\'s seed, surface and state',
        params: IdParams,
        response: { 200: EnsembleRecord, ...errorResponses },
      },
    },
    async (request) => ensembles.get(request.params.id, request.principal),
  );

  app.get(
    '/ensembles/:id/statistics',
    {
      schema: {
        tags: ['surfaces'],
        summary: 'Point-wise median, quartiles and min/max of loss and accuracy over the members, and every metric\'s median with its spread',
        description: 'Computed from the members\' results once all are completed; 409 ENSEMBLE_NOT_READY before.',
        params: IdParams,
        response: { 200: EnsembleStatistics, ...errorResponses },
      },
    },
    async (request) => ensembles.statistics(request.params.id, request.principal),
  );

  app.delete(
    '/ensembles/:id',
    { schema: { tags: ['surfaces'], summary: 'Cancel every member still queued or running', params: IdParams, response: { 200: EnsembleRecord, ...errorResponses } } },
    async (request) => ensembles.cancel(request.params.id, request.principal),
  );
};

export default ensembleRoutes;
