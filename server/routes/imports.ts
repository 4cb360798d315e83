import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Value } from 'typebox/value';
import { randomDirectionOptions, SurfaceRecord, SurfaceRequest, type Split } from '../../contract/index.ts';
import { mapDirections } from '../imports/map-directions.ts';
import { badRequest } from '../errors.ts';
import { sha256 } from '../stores/blobs.ts';
import { gridPoints } from '../services/quotas.ts';
import { decodeCheckpointUpload, decodeDirectionUpload, decodeSurfaceUpload } from '../uploads/decode.ts';
import { decodeLimits, readForm, type UploadedForm } from './multipart.ts';
import { acceptedSurface, errorResponses, SurfaceAccepted } from './schemas.ts';

function uploadedFile(form: UploadedForm, field: string) {
  const file = form.files.find((f) => f.field === field);
  if (!file) throw badRequest('FILE_MISSING', `send the file as the multipart field "${field}"`, field);
  return file;
}

function requestField(form: UploadedForm): SurfaceRequest {
  const raw = form.fields.request;
  if (raw === undefined) throw badRequest('FIELD_MISSING', 'send the surface request (the JSON body of POST /api/v1/surfaces) as the field "request"', 'request');
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw badRequest('INVALID_JSON', `request is not valid JSON (${(err as Error).message})`, 'request');
  }
  const error = Value.Errors(SurfaceRequest, parsed)[0];
  if (error) {
    const path = error.instancePath.replace(/^\//, '').replace(/\//g, '.');
    throw badRequest('VALIDATION_FAILED', `request${path ? '.' + path : ''} ${error.message}`, `request${path ? '.' + path : ''}`);
  }
  return parsed as SurfaceRequest;
}

/** Surfaces from files of the reference implementation (tomgoldstein/loss-landscape): its direction files and its surface files. */
const importRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { surfaces, models, blobs, quotas } = app.services;

  app.post(
    '/surfaces/with-directions',
    {
      schema: {
        tags: ['surfaces'],
        summary: 'Queue a surface along uploaded directions (a reference direction h5, or a directions npz)',
        description:
          'multipart/form-data: field request = the JSON body of POST /api/v1/surfaces (directions.mode says which tensors the file holds; seed and ' +
          'normalization are not used: the directions are taken as they are), file directions = an h5 in the layout of net_plotter.setup_direction ' +
          '(groups xdirection, ydirection of datasets 0 … n-1: the trainable tensors in net.parameters() order for mode weights, the state_dict for ' +
          'states) or an npz from GET /surfaces/{id}/directions/export.npz. Tensors are matched by name (an attribute name per dataset, or the npz member ' +
          'name; PyTorch state_dict names are the initializer names of an ONNX export without constant folding), else by position, and by shape; ' +
          'a 400 lists every tensor that does not match.',
        consumes: ['multipart/form-data'],
        response: { 202: SurfaceAccepted, ...errorResponses },
      },
    },
    async (request, reply) => {
      const form = await readForm(request);
      const surfaceRequest = requestField(form);
      const file = uploadedFile(form, 'directions');
      const model = models.readable(surfaceRequest.model, request.principal, 'request.model');
      const dimensions = surfaceRequest.grid.y ? 2 : 1;
      const directionFile = await decodeDirectionUpload(file.name, file.bytes, decodeLimits(app.services.config));
      const mapped = mapDirections(directionFile, model.parameters, randomDirectionOptions(surfaceRequest.directions).mode ?? 'weights', dimensions, 'directions');
      const flat = new Float32Array(mapped.x.length * dimensions);
      flat.set(mapped.x);
      if (mapped.y) flat.set(mapped.y, mapped.x.length);
      const bytes = new Uint8Array(flat.buffer);
      const hash = await blobs.put(bytes);
      const directions = { hash, source: `${file.name} (sha256 ${sha256(file.bytes)})` };
      const record = await quotas.admit(request.principal, gridPoints(surfaceRequest.grid), () => surfaces.submit(surfaceRequest, request.principal, { directions }), 'request.grid');
      return acceptedSurface(reply, record);
    },
  );

  app.post(
    '/surfaces/with-checkpoints',
    {
      schema: {
        tags: ['surfaces'],
        summary: 'Queue a surface in the PCA plane of an uploaded training trajectory',
        description:
          'multipart/form-data: field request = the JSON body of POST /api/v1/surfaces with directions {kind: "pca"} and no directions.training ' +
          '(request.model is θ*, the final weights the trajectory ends at), file checkpoints = an npz of members <epoch>/<parameter name>.npy: the ' +
          "parameters θ_i of the model's architecture at each saved epoch (PyTorch state_dict names are the initializer names of an ONNX export " +
          'without constant folding), at least 3 epochs. Every trainable tensor of every epoch is matched by name and shape; a 400 lists every ' +
          'tensor that does not match. δ, η are the first two principal components of θ_i − θ*; result.trajectory is the path in that plane.',
        consumes: ['multipart/form-data'],
        response: { 202: SurfaceAccepted, ...errorResponses },
      },
    },
    async (request, reply) => {
      const form = await readForm(request);
      const surfaceRequest = requestField(form);
      const file = uploadedFile(form, 'checkpoints');
      if (surfaceRequest.directions?.kind !== 'pca' || surfaceRequest.directions.training) {
        throw badRequest('KIND_MISMATCH', 'uploaded checkpoints make PCA directions: set request.directions to {"kind": "pca"} without training', 'request.directions');
      }
      const model = models.readable(surfaceRequest.model, request.principal, 'request.model');
      const uploaded = await decodeCheckpointUpload(
        { fileName: file.name, bytes: file.bytes, parameters: model.parameters, mode: surfaceRequest.directions.mode ?? 'weights', field: 'checkpoints' },
        decodeLimits(app.services.config),
      );
      const checkpoints = [];
      for (const { epoch, theta } of uploaded) checkpoints.push({ epoch, hash: await blobs.put(new Uint8Array(theta.buffer, theta.byteOffset, theta.byteLength)), parameterCount: theta.length });
      const uploadedCheckpoints = { checkpoints, source: `${file.name} (sha256 ${sha256(file.bytes)})` };
      const record = await quotas.admit(request.principal, gridPoints(surfaceRequest.grid), () => surfaces.submit(surfaceRequest, request.principal, { checkpoints: uploadedCheckpoints }), 'request.grid');
      return acceptedSurface(reply, record);
    },
  );

  app.post(
    '/surfaces/import',
    {
      schema: {
        tags: ['surfaces'],
        summary: "Import a surface file in the reference's h5 layout as a read-only surface (provenance.imported)",
        description:
          'multipart/form-data: file surface = an h5 with xcoordinates, optional ycoordinates, <split>_loss and optional <split>_acc (percent), as ' +
          "plot_surface.py writes it or GET /surfaces/{id}/export.h5 returns it; fields name and split (train, test or both; default: the first " +
          'present). Values are read in the flat order both write (k = iy·nx + ix); a negative loss (the reference’s "not computed yet" −1) is missing.',
        consumes: ['multipart/form-data'],
        response: { 201: SurfaceRecord, ...errorResponses },
      },
    },
    async (request, reply) => {
      const form = await readForm(request);
      const file = uploadedFile(form, 'surface');
      const split = form.fields.split;
      if (split !== undefined && !['train', 'test', 'both'].includes(split)) throw badRequest('BAD_SPLIT', `split must be train, test or both, got "${split}"`, 'split');
      const { record, result } = await decodeSurfaceUpload(
        { fileName: file.name, bytes: file.bytes, id: randomUUID(), sha256: sha256(file.bytes), options: { name: form.fields.name, split: split as Split | undefined } },
        decodeLimits(app.services.config),
      );
      await surfaces.importFinished(record, result, request.principal.tenant);
      return reply.status(201).header('location', `/api/v1/surfaces/${record.id}`).send(record);
    },
  );
};

export default importRoutes;
