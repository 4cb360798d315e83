import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { SpectrumListItem, SpectrumRequest, SpectrumResult } from '../../contract/metrics/spectrum.ts';
import { HttpError } from '../errors.ts';
import { SpectrumPending } from '../services/spectra.ts';
import { errorResponses, IdParams } from './schemas.ts';

const DESCRIPTION =
  'PyHessian\'s three results on exact Hessian-vector products (forward-over-reverse autodiff of the model\'s ONNX graph on onnxruntime, ' +
  'BN with its moving statistics, cross-entropy from logits), over the conv and linear weights (parameters: weights) or every trainable tensor: ' +
  'top-k eigenvalues by restarted Lanczos on the top end; the trace by Hutchinson, tr(H) ≈ (1/m)·Σ_k v_kᵀHv_k over m Rademacher vectors; ' +
  'the spectral density by stochastic Lanczos quadrature, ρ(x) ≈ (1/n_v)·Σ_v Σ_i w_i·N(x; θ_i, σ²) with θ_i the Ritz values and w_i the squared first ' +
  'components of the Ritz vectors of `densitySteps` Lanczos steps from each Rademacher vector. At θ* (default) or at a grid point (ix, iy) of the surface.';

/** Hessian spectra of a finished surface's points. */
const spectrumRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { surfaces, spectra } = app.services;

  app.post(
    '/surfaces/:id/spectrum',
    {
      schema: {
        tags: ['surfaces'],
        summary: 'Queue the Hessian spectrum (top-k eigenvalues, trace, density) at θ* or a grid point of a finished surface',
        description: `${DESCRIPTION} 200 with the result when the same spectrum is already computed; 202 with its id and progress otherwise.`,
        params: IdParams,
        body: SpectrumRequest,
        response: { 200: SpectrumResult, 202: SpectrumPending, ...errorResponses },
      },
    },
    async (request, reply) => {
      const state = await spectra.request(request.params.id, request.body, request.principal);
      if (state.status === 'completed') return state.result;
      return reply.status(202).send(state);
    },
  );

  app.get(
    '/surfaces/:id/spectrum',
    {
      schema: {
        tags: ['surfaces'],
        summary: 'The latest requested spectrum of a surface: 200 with the result when done, 202 with progress while it runs (status failed with the error if it failed)',
        description: DESCRIPTION,
        params: IdParams,
        response: { 200: SpectrumResult, 202: SpectrumPending, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      await surfaces.get(id, request.principal);
      const latest = await spectra.latest(id);
      const state = latest ? await spectra.state(id, latest) : null;
      if (!state) throw new HttpError(404, 'SPECTRUM_NOT_FOUND', `no spectrum has been requested for surface ${id}`);
      if (state.status === 'completed') return state.result;
      return reply.status(202).send(state);
    },
  );

  app.get(
    '/surfaces/:id/spectra',
    {
      schema: {
        tags: ['surfaces'],
        summary: 'Every spectrum of a surface, the latest requested first: 200 with an empty list when none was requested (the report asks this on open)',
        description: DESCRIPTION,
        params: IdParams,
        response: { 200: Type.Object({ items: Type.Array(SpectrumListItem) }), ...errorResponses },
      },
    },
    async (request) => {
      const { id } = request.params;
      await surfaces.get(id, request.principal);
      return {
        items: (await spectra.list(id)).map(({ id: spectrumId, state }) => state.status === 'completed'
          ? { id: spectrumId, status: 'completed' as const, progress: null, error: null, result: state.result }
          : { id: spectrumId, status: state.status, progress: state.progress, error: state.error, result: null }),
      };
    },
  );

  app.get(
    '/surfaces/:id/spectrum/:spectrumId',
    {
      schema: {
        tags: ['surfaces'],
        summary: 'One spectrum of a surface by its id (from POST): 200 with the result when done, 202 with progress while it runs',
        params: Type.Object({ id: IdParams.properties.id, spectrumId: Type.String({ minLength: 1, maxLength: 300 }) }),
        response: { 200: SpectrumResult, 202: SpectrumPending, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { id, spectrumId } = request.params;
      await surfaces.get(id, request.principal);
      const state = await spectra.state(id, spectrumId);
      if (!state) throw new HttpError(404, 'SPECTRUM_NOT_FOUND', `surface ${id} has no spectrum ${spectrumId}`, 'spectrumId');
      if (state.status === 'completed') return state.result;
      return reply.status(202).send(state);
    },
  );
};

export default spectrumRoutes;
