import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { DatasetInfo } from '../../contract/index.ts';
import { decodeDatasetUpload } from '../uploads/decode.ts';
import { decodeLimits, nameAndDescription, readForm } from './multipart.ts';
import { errorResponses } from './schemas.ts';

const datasetRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/datasets', { schema: { tags: ['datasets'], summary: 'Built-in (MNIST, synthetic 2D sets) and uploaded datasets', response: { 200: Type.Object({ items: Type.Array(DatasetInfo) }) } } }, async () => ({
    items: app.services.datasets.list(),
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
      const record = await app.services.datasets.register(name, description, arrays);
      return reply.status(201).send(record);
    },
  );
};

export default datasetRoutes;
