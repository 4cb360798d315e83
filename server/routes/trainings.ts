import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ARCHITECTURES, ArchitectureInfo } from '../../contract/architectures.ts';
import type { TrainingEvent } from '../../contract/index.ts';
import { TrainingRecord, TrainingRequest } from '../../contract/training.ts';
import { relayEvents } from '../sse.ts';
import { errorResponses, EventsQuery, IdParams } from './schemas.ts';

const isFinal = (status: string) => ['completed', 'failed', 'cancelled'].includes(status);

const trainingRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { trainings, quotas, redis, keys } = app.services;

  app.get(
    '/architectures',
    {
      schema: {
        tags: ['trainings'],
        summary: 'The architecture zoo: ids to train, with family, depth, skip kind and parameter counts',
        response: { 200: Type.Object({ items: Type.Array(ArchitectureInfo) }) },
      },
    },
    async () => ({ items: [...ARCHITECTURES] }),
  );

  app.post(
    '/trainings',
    {
      schema: {
        tags: ['trainings'],
        summary: 'Train a zoo architecture, or a stored model further, on a dataset; the final weights become a model',
        description:
          'Trains on the dataset’s train split with categorical cross-entropy: SGD with Nesterov momentum (default) or Adam, a constant/step/cosine ' +
          'learning-rate schedule, coupled L2 weight decay, seeded initialization and shuffling (same request + same backend → same weights). ' +
          'With `model` in place of `architecture`, a stored model (an ONNX or tfjs upload, a zoo or trained model) starts from its stored weights ' +
          'and the result keeps its format and graph. ' +
          'Checkpoints (θ flat in parameter-model order, float32) are kept every checkpointEvery epochs. Follow links.events (SSE); ' +
          'when done, links.model is the registered model.',
        body: TrainingRequest,
        response: { 202: TrainingRecord, ...errorResponses },
      },
    },
    async (request, reply) => {
      const record = await quotas.admit(request.principal, 0, () => trainings.submit(request.body, request.principal));
      return reply.status(202).header('location', record.links.self).send(record);
    },
  );

  app.get('/trainings', { schema: { tags: ['trainings'], summary: 'All training runs, newest first', response: { 200: Type.Object({ items: Type.Array(TrainingRecord) }) } } }, async (request) => ({
    items: await trainings.list(request.principal),
  }));

  app.get(
    '/trainings/:id',
    { schema: { tags: ['trainings'], summary: 'Status, per-epoch history, checkpoints and the model once done', params: IdParams, response: { 200: TrainingRecord, ...errorResponses } } },
    async (request) => trainings.get(request.params.id, request.principal),
  );

  app.delete(
    '/trainings/:id',
    { schema: { tags: ['trainings'], summary: 'Cancel: a queued run is removed, a running one stops after its current batch', params: IdParams, response: { 200: TrainingRecord, ...errorResponses } } },
    async (request) => trainings.cancel(request.params.id, request.principal),
  );

  app.get(
    '/trainings/:id/events',
    {
      schema: {
        tags: ['trainings'],
        summary: 'Server-sent events: started, epoch, checkpoint, trained, done / failed / cancelled',
        description:
          'Each event id is a Redis stream id; reconnect with Last-Event-ID (or ?lastEventId=) to resume. A new client gets the whole history first. ' +
          'Events: started {epochs}; epoch {epoch, learningRate, loss, accuracy, testLoss, testAccuracy, seconds}; checkpoint {epoch, hash, parameterCount}; ' +
          'trained {finalTrain, finalTest, seconds}; done {status, modelId}; failed {code, message}; cancelled {}.',
        params: IdParams,
        querystring: EventsQuery,
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const record = await trainings.get(id, request.principal);
      const ending: TrainingEvent | null = !isFinal(record.status)
        ? null
        : record.status === 'completed'
          ? { event: 'done', data: { status: 'completed', modelId: record.modelId } }
          : record.status === 'failed'
            ? { event: 'failed', data: record.error }
            : { event: 'cancelled', data: {} };
      await relayEvents(redis, request, reply, { streamKey: keys.trainingEvents(id), ending, lastEventId: request.query.lastEventId });
    },
  );
};

export default trainingRoutes;
