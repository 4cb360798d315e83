import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { HessianMapRequest, HessianMapResult } from '../../contract/metrics/hessian.ts';
import { SurfaceMetrics, surfaceMetrics } from '../../contract/metrics/surface-metrics.ts';
import { differenceMismatch, SurfaceDifference, surfaceDifference } from '../../contract/metrics/difference.ts';
import { HttpError } from '../errors.ts';
import { HessianPending } from '../services/hessian-maps.ts';
import { errorResponses, IdParams } from './schemas.ts';

const DifferenceParams = Type.Object({ id: IdParams.properties.id, other: IdParams.properties.id });

/** Analyses of a finished surface: its metrics, its difference with another, and the Hessian eigenvalue-ratio map over a sub-grid. */
const analysisRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { surfaces, hessians } = app.services;

  app.get(
    '/surfaces/:id/metrics',
    { schema: { tags: ['surfaces'], summary: 'Metrics of a finished surface (formulas in the schema)', params: IdParams, response: { 200: SurfaceMetrics, ...errorResponses } } },
    async (request) => surfaceMetrics(await surfaces.result(request.params.id, request.principal)),
  );

  app.get(
    '/surfaces/:id/difference/:other',
    {
      schema: {
        tags: ['surfaces'],
        summary: 'The difference surface L_A − L_B of two finished surfaces (A = id, B = other), with its standard errors and metrics',
        description:
          'Both surfaces must share the grid, the dataset and sample selection (id, content, split, samples, sample seed), the loss and the direction ' +
          'settings (seed, normalization, ignore, mode, generator); the models may differ. Otherwise 409 SURFACES_NOT_COMPARABLE with `field` naming ' +
          'the first setting that differs. Either surface not completed: 409 SURFACE_NOT_READY.',
        params: DifferenceParams,
        response: { 200: SurfaceDifference, ...errorResponses },
      },
    },
    async (request) => {
      const [a, b] = await Promise.all([surfaces.result(request.params.id, request.principal), surfaces.result(request.params.other, request.principal)]);
      const mismatch = differenceMismatch(a, b);
      if (mismatch) throw new HttpError(409, 'SURFACES_NOT_COMPARABLE', `surfaces ${a.id} and ${b.id} cannot be subtracted: ${mismatch.message}`, mismatch.field);
      return surfaceDifference(a, b);
    },
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
          'One map per surface: a new request replaces the stored one, and a map still running with other settings stops (its job fails as superseded; asking for its settings again resumes it); while the same settings are queued or running, their progress is returned. ' +
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
