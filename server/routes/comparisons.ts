import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ComparisonRecord, ComparisonRequest, EnsembleCompanion } from '../../contract/comparisons.ts';
import { ensembleSize } from '../../contract/ensembles.ts';
import { gridPoints } from '../services/quotas.ts';
import { errorResponses, IdParams } from './schemas.ts';

const comparisonRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { comparisons, quotas } = app.services;

  app.post(
    '/comparisons',
    {
      schema: {
        tags: ['comparisons'],
        summary: 'Compare members on the identical grid with the same directions seed and samples',
        description:
          'Each member is a stored model or a zoo architecture (trained on shared.dataset first unless a stored model was trained with the identical recipe). ' +
          'One surface per member with the same dataset selection, grid, direction seed/normalization, loss and batch size; then surfaceMetrics per member and a finding. ' +
          'Poll GET /api/v1/comparisons/{id}; each member links its trainingId and surfaceId (their SSE streams show live progress).',
        body: ComparisonRequest,
        response: { 202: ComparisonRecord, ...errorResponses },
      },
    },
    async (request, reply) => {
      const points = request.body.members.length * gridPoints(request.body.shared.grid) * ensembleSize(request.body.shared);
      const record = await quotas.admit(request.principal, points, () => comparisons.submit(request.body, request.principal), 'shared.grid');
      return reply.status(202).header('location', record.links.self).send(record);
    },
  );

  app.get(
    '/comparisons',
    {
      schema: {
        tags: ['comparisons'],
        summary: 'All comparisons, newest first (members without inlined surfaces)',
        response: { 200: Type.Object({ items: Type.Array(Type.Unknown()) }) },
      },
    },
    async (request) => ({ items: await comparisons.list(request.principal) }),
  );

  app.get(
    '/comparisons/:id',
    {
      schema: {
        tags: ['comparisons'],
        summary: 'Every member’s status, surface and metrics, and the finding once all are done',
        params: IdParams,
        response: { 200: ComparisonRecord, ...errorResponses },
      },
    },
    async (request) => comparisons.get(request.params.id, request.principal),
  );

  app.get(
    '/comparisons/:id/ensemble',
    {
      schema: {
        tags: ['comparisons'],
        summary: 'A committed demo’s direction-ensemble companion (links.ensemble): the same members over k direction pairs, their spreads and finding',
        description: 'The members’ metric medians with quartiles and extremes, and the point-wise median and IQR of the loss. 404 NO_ENSEMBLE_COMPANION when the comparison has none.',
        params: IdParams,
        response: { 200: EnsembleCompanion, ...errorResponses },
      },
    },
    async (request) => comparisons.companion(request.params.id, request.principal),
  );
};

export default comparisonRoutes;
