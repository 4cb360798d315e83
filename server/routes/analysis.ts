import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HessianMapRequest, HessianMapResult } from '../../contract/metrics/hessian.ts';
import { SurfaceMetrics, surfaceMetrics } from '../../contract/metrics/surface-metrics.ts';
import { HttpError } from '../errors.ts';
import { HessianPending } from '../services/hessian-maps.ts';
import { errorResponses, IdParams } from './schemas.ts';

/** Analyses of a finished surface: its metrics, and the Hessian eigenvalue-ratio map over a sub-grid. */
const analysisRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { surfaces, hessians } = app.services;

  app.get(
    '/surfaces/:id/metrics',
    { schema: { tags: ['surfaces'], summary: 'Metrics of a finished surface (formulas in the schema)', params: IdParams, response: { 200: SurfaceMetrics, ...errorResponses } } },
    async (request) => surfaceMetrics(await surfaces.result(request.params.id, request.principal)),
  );

  app.post(
    '/surfaces/:id/hessian',
    {
      schema: {
        tags: ['surfaces'],
        summary: 'Queue the Hessian eigenvalue ratio |λmin/λmax| over a sub-grid of a finished surface',
        description:
          'Exact Hessian-vector products (forward-over-reverse autodiff of the model\'s ONNX graph on onnxruntime, BN in inference mode, cross-entropy from logits; ONNX uploads and tfjs Layers models). ' +
          'λmax and λmin by one restarted Lanczos run keeping Ritz vectors at both ends, to the reference\'s eigsh criteria (residual ≤ tol·|λmax|; ≤ tol·|λmin − s| with s = 0.51·λmax); about 20 products per point. ' +
          'One map per surface: a new request replaces the stored one; while the same settings are queued or running, their progress is returned. ' +
          'A worker killed mid-map resumes from its last finished point.',
        params: IdParams,
        body: HessianMapRequest,
        response: { 202: HessianPending, ...errorResponses },
      },
    },
    async (request, reply) => {
      const pending = await hessians.request(request.params.id, request.body, request.principal);
      return reply.status(202).send(pending);
    },
  );

  app.get(
    '/surfaces/:id/hessian',
    {
      schema: {
        tags: ['surfaces'],
        summary: 'The Hessian map of a surface: 200 with the result when done, 202 with progress while it runs (status failed with the error if it failed)',
        params: IdParams,
        response: { 200: HessianMapResult, 202: HessianPending, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      await surfaces.get(id, request.principal);
      const state = await hessians.state(id);
      if (!state) throw new HttpError(404, 'HESSIAN_NOT_FOUND', `no Hessian map has been requested for surface ${id}`);
      if (state.status === 'completed') return state.result;
      return reply.status(202).send(state);
    },
  );
};

export default analysisRoutes;
