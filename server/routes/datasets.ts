import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { DatasetInfo } from '../../contract/index.ts';
import { decodeDatasetUpload } from '../uploads/decode.ts';
import { decodeLimits, nameAndDescription, readForm } from './multipart.ts';
import { removeDataset } from '../services/removals.ts';
import { errorResponses, IdParams } from './schemas.ts';

const datasetRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/datasets', { schema: { tags: ['datasets'], summary: 'Built-in (MNIST, synthetic 2D sets) and uploaded datasets', response: { 200: Type.Object({ items: Type.Array(DatasetInfo) }) } } }, async (request) => ({
    items: app.services.datasets.list(request.principal),
  }));

  app.post(
    '/datasets',
    {
      schema: {
        tags: ['datasets'],
        summary: 'Upload a dataset',
        description:
          'multipart/form-data with field name and either one .npz holding x, y (optionally x_test, y_test), or x.npy + y.npy (+ x_test.npy, y_test.npy), or one .json ' +
          '{"x": [...], "y": [...], "x_test"?: [...], "y_test"?: [...]}. x: float samples [N, ...]; y: integer class labels (classification) or float targets (regression; ' +
          'field task overrides). Without test arrays, every 5th sample (i % 5 = 4) is the test split.',
        consumes: ['multipart/form-data'],
        response: { 201: DatasetInfo, ...errorResponses },
      },
    },
    async (request, reply) => {
      const form = await readForm(request);
      const { name, description } = nameAndDescription(form);
      const files = form.files.map(({ name: fileName, bytes }) => ({ name: fileName, bytes }));
      const arrays = await decodeDatasetUpload(files, form.fields, decodeLimits(app.services.config));
      const record = await app.services.datasets.register(name, description, arrays, request.principal.tenant);
      return reply.status(201).send(record);
    },
  );

  app.delete(
    '/datasets/:id',
    {
      schema: {
        tags: ['datasets'],
        summary: 'Delete an uploaded dataset (its owner or an admin): 204; 409 DATASET_IN_USE while a queued or running job uses it; 403 for the built-ins',
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await removeDataset(app.services, request.params.id, request.principal);
      return reply.status(204).send(null);
    },
  );
};

export default datasetRoutes;
