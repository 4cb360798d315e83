import type { FastifyInstance } from 'fastify';
import { Queue } from 'bullmq';
import { Type } from 'typebox';
import { ANALYSIS_QUEUE, hessianJobId, hessianKeys, HessianMapRequest, HessianMapResult, resolveHessianRequest } from '../../contract/metrics/hessian.ts';
import { SurfaceMetrics, surfaceMetrics } from '../../contract/metrics/surface-metrics.ts';
import { HttpError } from '../errors.ts';
import { errorResponses, IdParams } from './schemas.ts';

const HessianPending = Type.Object({
  surfaceId: Type.String(),
  status: Type.Union([Type.Literal('queued'), Type.Literal('running'), Type.Literal('failed')]),
  progress: Type.Object({ done: Type.Integer(), total: Type.Integer() }),
  error: Type.Union([Type.String(), Type.Null()]),
});

/** Analyses of a finished surface: its metrics, and the Hessian eigenvalue-ratio map over a sub-grid. */
export default async function analysisRoutes(app: FastifyInstance) {
  const { surfaces, redis, keys, config } = app.services;
  const queue = new Queue(ANALYSIS_QUEUE, { connection: redis, prefix: keys.bullPrefix });
  app.addHook('onClose', () => queue.close());
  const stored = hessianKeys(config.LA_NAMESPACE);

  app.get(
    '/surfaces/:id/metrics',
    { schema: { tags: ['surfaces'], summary: 'Metrics of a finished surface (formulas in the schema)', params: IdParams, response: { 200: SurfaceMetrics, ...errorResponses } } },
    async (request) => surfaceMetrics(await surfaces.result((request.params as { id: string }).id)),
  );

  app.post(
    '/surfaces/:id/hessian',
    {
      schema: {
        tags: ['surfaces'],
        summary: 'Queue the Hessian eigenvalue ratio |λmin/λmax| over a sub-grid of a finished surface',
        description:
          'Hessian-vector products by central differences of first-order tfjs gradients, Hv ≈ (∇L(θ+εv) − ∇L(θ−εv))/(2ε) with ε = 1e-3·‖θ‖/‖v‖; ' +
          'λmax by Lanczos, λmin by Lanczos on H − s·I with s = 0.51·λmax (s added back). tfjs Layers models only. Expensive: each Lanczos step is two gradient passes.',
        params: IdParams,
        body: HessianMapRequest,
        response: { 202: HessianPending, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      const record = await surfaces.get(id);
      if (record.status !== 'completed') throw new HttpError(409, 'SURFACE_NOT_READY', `surface ${id} is ${record.status}; a Hessian map needs a completed surface`);
      if (!surfaces.modelFormatIs(id, 'tfjs-layers')) {
        throw new HttpError(400, 'UNSUPPORTED_MODEL', 'Hessian maps need a tfjs Layers model (first-order tfjs gradients)', 'model');
      }
      const resolved = resolveHessianRequest(request.body as HessianMapRequest, record.provenance.dataset.samples);
      await redis.del(stored.result(id));
      await queue.add('hessian-map', { surfaceId: id, request: resolved }, { jobId: hessianJobId(id, resolved), attempts: 1, removeOnComplete: true, removeOnFail: { age: 86400 } });
      const total = resolved.points * (record.kind === '2d' ? resolved.points : 1);
      return reply.status(202).send({ surfaceId: id, status: 'queued', progress: { done: 0, total }, error: null });
    },
  );

  app.get(
    '/surfaces/:id/hessian',
    {
      schema: {
        tags: ['surfaces'],
        summary: 'The Hessian map of a surface: 200 with the result when done, 202 with progress while it runs',
        params: IdParams,
        response: { 200: HessianMapResult, 202: HessianPending, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      await surfaces.get(id);
      const result = await redis.get(stored.result(id));
      if (result) return JSON.parse(result);
      const jobs = (await queue.getJobs(['active', 'waiting', 'failed'])).filter((job) => job?.data?.surfaceId === id && job.name === 'hessian-map');
      const job = jobs.sort((a, b) => b.timestamp - a.timestamp)[0];
      if (!job) throw new HttpError(404, 'HESSIAN_NOT_FOUND', `no Hessian map has been requested for surface ${id}`);
      const state = await job.getState();
      const progress = typeof job.progress === 'object' && job.progress ? (job.progress as { done: number; total: number }) : { done: 0, total: 0 };
      return reply.status(202).send({ surfaceId: id, status: state === 'failed' ? 'failed' : state === 'active' ? 'running' : 'queued', progress, error: job.failedReason ?? null });
    },
  );
}
