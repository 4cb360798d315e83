import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ModelRecord } from '../../contract/index.ts';
import { detectFormat } from '../../contract/formats/index.ts';
import { badRequest } from '../errors.ts';
import { removeModel } from '../services/removals.ts';
import { decodeModelUpload } from '../uploads/decode.ts';
import { decodeLimits, nameAndDescription, readForm } from './multipart.ts';
import { errorResponses, IdParams } from './schemas.ts';

const ModelSummary = Type.Omit(ModelRecord, ['parameters']);

const modelRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/models', { schema: { tags: ['models'], summary: 'Demo, zoo, trained and uploaded models', response: { 200: Type.Object({ items: Type.Array(ModelSummary) }) } } }, async (request) => ({
    items: app.services.models.list(request.principal).map(({ parameters: _omitted, ...summary }) => summary),
  }));

  app.get('/models/:id', { schema: { tags: ['models'], summary: 'A model with its parameter model (every tensor, its role and filter axes)', params: IdParams, response: { 200: ModelRecord, ...errorResponses } } }, async (request) => {
    return app.services.models.readable(request.params.id, request.principal);
  });

  app.delete(
    '/models/:id',
    {
      schema: {
        tags: ['models'],
        summary: 'Delete a model (its owner or an admin): 204; 409 MODEL_IN_USE while a queued or running surface or comparison uses it; 403 for the demos',
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await removeModel(app.services, request.params.id, request.principal);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/models',
    {
      schema: {
        tags: ['models'],
        summary: 'Upload a tfjs Layers model (model.json + weight shards) or an ONNX model',
        description:
          'multipart/form-data with either the files model.json and every shard its weightsManifest names, or one model.onnx (from torch.onnx.export or tf2onnx, ' +
          'weights inside the file), and the fields name (required), description, dataset. Weights must be float32. Layers or operators the engines cannot ' +
          'evaluate are rejected with a 400 naming them. ONNX filter axes follow the graph: Conv W and Gemm(transB=1) B on axis 0, MatMul and Gemm(transB=0) B on the last axis. ' +
          'PyTorch eval-mode export folds BatchNorm into the convolutions (directions then act on the folded weights); export with ' +
          'training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False to keep BatchNormalization nodes.',
        consumes: ['multipart/form-data'],
        response: { 201: ModelRecord, ...errorResponses },
      },
    },
    async (request, reply) => {
      const form = await readForm(request);
      const { name, description } = nameAndDescription(form);
      if (form.files.length === 0) throw badRequest('NO_FILES', 'upload model.json and its weight shards', 'files');
      const format = detectFormat(form.files.map((f) => f.name));
      // Absent only for a tfjs upload without model.json, which the format's validation names.
      const main = form.files.find((f) => format.detect([f.name]));
      const mainName = main?.name ?? format.mainFile;
      if (format.singleFile && form.files.length > 1) throw badRequest('ONNX_WITH_OTHER_FILES', 'upload a model.onnx alone (external data files are not supported)', mainName);
      const files = format.singleFile ? { [format.mainFile]: main!.bytes } : Object.fromEntries(form.files.map((f) => [f.name, f.bytes]));
      const canonical = await decodeModelUpload(format.id, mainName, files, decodeLimits(app.services.config));
      const record = await app.services.models.register(
        { name, format: format.id, source: 'upload', description, dataset: form.fields.dataset ?? null, files, tenant: request.principal.tenant },
        canonical,
      );
      return reply.status(201).send(record);
    },
  );
};

export default modelRoutes;
