import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newApiKey } from '../server/plugins/auth.ts';
import { startStack, type Stack } from './helpers/stack.ts';
import { mlpFiles, uploadModel } from './helpers/models.ts';

/**
 * Tenants A and B and an admin on the real API, with no worker: jobs stay queued, so "in use"
 * is certain while the test looks. B must not list, read, cancel or delete A's resources.
 */
const a = newApiKey('tenant-a', 'user');
const b = newApiKey('tenant-b', 'user');
const admin = newApiKey('ops', 'admin');

let stack: Stack;
let modelA: string;
let datasetA: string;
let surfaceA: string;
let trainingA: string;
let comparisonA: string;
let demoSurface: string;

const grid = { x: { min: -1, max: 1, num: 3 }, y: { min: -1, max: 1, num: 3 } };

beforeAll(async () => {
  stack = await startStack({ workers: 0, env: { LA_API_KEYS: JSON.stringify([a.entry, b.entry, admin.entry]) } });
  const model = await uploadModel(stack.baseUrl, 'a-mlp', await mlpFiles(), { authorization: `Bearer ${a.key}` });
  expect(model.status).toBe(201);
  modelA = model.body.id as string;

  const form = new FormData();
  form.set('name', 'a-points');
  const x = Array.from({ length: 20 }, (_, i) => [Math.cos(i), Math.sin(i)]);
  form.append('file', new Blob([JSON.stringify({ x, y: x.map((_, i) => i % 2) })]), 'points.json');
  const dataset = await fetch(`${stack.baseUrl}/api/v1/datasets`, { method: 'POST', body: form, headers: { 'x-api-key': a.key } });
  expect(dataset.status).toBe(201);
  datasetA = ((await dataset.json()) as { id: string }).id;

  const surface = await stack.api<{ id: string }>('/api/v1/surfaces', { method: 'POST', key: a.key, json: { model: modelA, dataset: { id: datasetA }, grid } });
  expect(surface.status).toBe(202);
  surfaceA = surface.body.id;

  const training = await stack.api<{ id: string }>('/api/v1/trainings', { method: 'POST', key: a.key, json: { architecture: { id: 'mlp', width: 0.5 }, dataset: { id: 'moons' }, epochs: 1 } });
  expect(training.status).toBe(202);
  trainingA = training.body.id;

  const comparison = await stack.api<{ id: string }>('/api/v1/comparisons', {
    method: 'POST',
    key: a.key,
    json: { members: [{ model: modelA }], shared: { dataset: { id: 'moons' }, grid, hessian: false } },
  });
  expect(comparison.status).toBe(202);
  comparisonA = comparison.body.id;

  const publicSurfaces = await stack.api<{ items: { id: string; tenant: string | null }[] }>('/api/v1/surfaces', { key: b.key });
  demoSurface = publicSurfaces.body.items.find((s) => s.tenant === null)!.id;
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

const ids = (items: { id: string }[]) => items.map((item) => item.id);

describe('API keys', () => {
  it('401 AUTH_REQUIRED without a key, 401 INVALID_API_KEY with an unknown one; health, readiness and the docs stay open', async () => {
    const none = await stack.api('/api/v1/surfaces');
    expect(none).toMatchObject({ status: 401, body: { code: 'AUTH_REQUIRED', field: 'authorization' } });
    const wrong = await stack.api('/api/v1/surfaces', { key: 'la_not-a-key' });
    expect(wrong).toMatchObject({ status: 401, body: { code: 'INVALID_API_KEY' } });
    expect((await stack.api('/api/v1/models/demo-cnn-skip', { method: 'DELETE' })).status).toBe(401);
    expect((await stack.api('/health')).status).toBe(200);
    expect((await stack.api('/ready')).status).toBe(503);
    expect((await fetch(`${stack.baseUrl}/docs/json`)).status).toBe(200);
  });

  it('the queue dashboard (/admin/queues) is for admin keys only: 403 ADMIN_ONLY with a user key', async () => {
    expect((await stack.api('/admin/queues/api/queues')).status).toBe(401);
    expect((await stack.api('/admin/queues/api/queues', { key: a.key })).body).toMatchObject({ code: 'ADMIN_ONLY' });
    const page = await fetch(`${stack.baseUrl}/admin/queues`, { headers: { authorization: `Bearer ${admin.key}` } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Loss Atlas queues');
    const queues = await stack.api<{ queues: { name: string }[] }>('/admin/queues/api/queues', { key: admin.key });
    expect(queues.status).toBe(200);
    expect(queues.body.queues.map((q) => q.name)).toEqual(expect.arrayContaining(['la-surfaces', 'la-chunks', 'la-trainings', 'la-analysis']));
  });

  it('/metrics is for admin keys only', async () => {
    expect((await fetch(`${stack.baseUrl}/metrics`)).status).toBe(401);
    const user = await fetch(`${stack.baseUrl}/metrics`, { headers: { 'x-api-key': a.key } });
    expect(user.status).toBe(403);
    expect(await user.json()).toMatchObject({ code: 'ADMIN_ONLY' });
    const ops = await fetch(`${stack.baseUrl}/metrics`, { headers: { 'x-api-key': admin.key } });
    expect(ops.status).toBe(200);
    expect(await ops.text()).toContain('la_http_request_duration_seconds');
  });

  it('records the owning tenant on what a key creates', async () => {
    expect((await stack.api(`/api/v1/surfaces/${surfaceA}`, { key: a.key })).body).toMatchObject({ id: surfaceA, tenant: 'tenant-a' });
    expect((await stack.api(`/api/v1/models/${modelA}`, { key: a.key })).body).toMatchObject({ tenant: 'tenant-a' });
    expect((await stack.api(`/api/v1/trainings/${trainingA}`, { key: a.key })).body).toMatchObject({ tenant: 'tenant-a' });
    expect((await stack.api(`/api/v1/comparisons/${comparisonA}`, { key: a.key })).body).toMatchObject({ tenant: 'tenant-a' });
  });
});

describe('tenant isolation', () => {
  it("B lists none of A's resources, but the public demos", async () => {
    const surfaces = await stack.api<{ items: { id: string }[] }>('/api/v1/surfaces', { key: b.key });
    expect(ids(surfaces.body.items)).not.toContain(surfaceA);
    expect(ids(surfaces.body.items)).toContain(demoSurface);
    const models = await stack.api<{ items: { id: string }[] }>('/api/v1/models', { key: b.key });
    expect(ids(models.body.items)).not.toContain(modelA);
    expect(ids(models.body.items)).toContain('demo-cnn-skip');
    const datasets = await stack.api<{ items: { id: string }[] }>('/api/v1/datasets', { key: b.key });
    expect(ids(datasets.body.items)).not.toContain(datasetA);
    expect(ids(datasets.body.items)).toContain('moons');
    expect(ids((await stack.api<{ items: { id: string }[] }>('/api/v1/trainings', { key: b.key })).body.items)).not.toContain(trainingA);
    expect(ids((await stack.api<{ items: { id: string }[] }>('/api/v1/comparisons', { key: b.key })).body.items)).not.toContain(comparisonA);
    // A sees its own.
    expect(ids((await stack.api<{ items: { id: string }[] }>('/api/v1/surfaces', { key: a.key })).body.items)).toContain(surfaceA);
  });

  it("B reads none of A's resources: each is a 404, as an unknown id", async () => {
    for (const path of [
      `/api/v1/surfaces/${surfaceA}`,
      `/api/v1/surfaces/${surfaceA}/result`,
      `/api/v1/surfaces/${surfaceA}/events`,
      `/api/v1/surfaces/${surfaceA}/directions`,
      `/api/v1/surfaces/${surfaceA}/export.json`,
      `/api/v1/surfaces/${surfaceA}/hessian`,
      `/api/v1/models/${modelA}`,
      `/api/v1/trainings/${trainingA}`,
      `/api/v1/trainings/${trainingA}/events`,
      `/api/v1/comparisons/${comparisonA}`,
    ]) {
      const response = await stack.api(path, { key: b.key });
      expect({ path, status: response.status }).toEqual({ path, status: 404 });
    }
  });

  it("B cannot use A's model or dataset in a job (400 naming the field)", async () => {
    const onModel = await stack.api('/api/v1/surfaces', { method: 'POST', key: b.key, json: { model: modelA, dataset: { id: 'moons' }, grid } });
    expect(onModel).toMatchObject({ status: 400, body: { code: 'MODEL_NOT_FOUND', field: 'model' } });
    const onDataset = await stack.api('/api/v1/surfaces', { method: 'POST', key: b.key, json: { model: 'demo-cnn-skip', dataset: { id: datasetA }, grid } });
    expect(onDataset).toMatchObject({ status: 400, body: { code: 'DATASET_NOT_FOUND', field: 'dataset.id' } });
    const training = await stack.api('/api/v1/trainings', { method: 'POST', key: b.key, json: { architecture: { id: 'mlp' }, dataset: { id: datasetA }, epochs: 1 } });
    expect(training).toMatchObject({ status: 400, body: { field: 'dataset.id' } });
  });

  it("B cannot cancel or delete A's resources; a public demo cannot be changed by anyone", async () => {
    expect((await stack.api(`/api/v1/surfaces/${surfaceA}`, { method: 'DELETE', key: b.key })).status).toBe(404);
    expect((await stack.api(`/api/v1/trainings/${trainingA}`, { method: 'DELETE', key: b.key })).status).toBe(404);
    expect((await stack.api(`/api/v1/models/${modelA}`, { method: 'DELETE', key: b.key })).status).toBe(404);
    expect((await stack.api(`/api/v1/datasets/${datasetA}`, { method: 'DELETE', key: b.key })).status).toBe(404);
    expect((await stack.api(`/api/v1/surfaces/${surfaceA}/hessian`, { method: 'POST', key: b.key, json: {} })).status).toBe(404);
    // Still A's, still queued.
    expect((await stack.api(`/api/v1/surfaces/${surfaceA}`, { key: a.key })).body).toMatchObject({ status: 'queued' });

    expect((await stack.api(`/api/v1/surfaces/${demoSurface}`, { key: b.key })).status).toBe(200);
    for (const key of [b.key, admin.key]) {
      expect((await stack.api('/api/v1/models/demo-cnn-skip', { method: 'DELETE', key })).body).toMatchObject({ code: 'READ_ONLY' });
      expect((await stack.api('/api/v1/datasets/moons', { method: 'DELETE', key })).status).toBe(403);
      expect((await stack.api(`/api/v1/surfaces/${demoSurface}`, { method: 'DELETE', key })).status).toBe(403);
      expect((await stack.api(`/api/v1/surfaces/${demoSurface}/hessian`, { method: 'POST', key, json: {} })).status).toBe(403);
    }
  });

  it('an admin key sees every tenant’s resources and may cancel them', async () => {
    expect(ids((await stack.api<{ items: { id: string }[] }>('/api/v1/surfaces', { key: admin.key })).body.items)).toContain(surfaceA);
    expect((await stack.api(`/api/v1/models/${modelA}`, { key: admin.key })).status).toBe(200);
    expect((await stack.api(`/api/v1/comparisons/${comparisonA}`, { key: admin.key })).status).toBe(200);
    expect((await stack.api(`/api/v1/trainings/${trainingA}`, { method: 'DELETE', key: admin.key })).body).toMatchObject({ status: 'cancelled' });
  });
});

describe('deleting models and datasets', () => {
  it('409 MODEL_IN_USE / DATASET_IN_USE while a queued job uses them; 204 once it is cancelled, then gone', async () => {
    const model = await stack.api(`/api/v1/models/${modelA}`, { method: 'DELETE', key: a.key });
    expect(model).toMatchObject({ status: 409, body: { code: 'MODEL_IN_USE' } });
    expect(model.body.message).toContain(surfaceA);
    expect((await stack.api(`/api/v1/datasets/${datasetA}`, { method: 'DELETE', key: a.key })).body).toMatchObject({ code: 'DATASET_IN_USE' });

    expect((await stack.api(`/api/v1/surfaces/${surfaceA}`, { method: 'DELETE', key: a.key })).body).toMatchObject({ status: 'cancelled' });
    expect((await stack.api(`/api/v1/datasets/${datasetA}`, { method: 'DELETE', key: a.key })).status).toBe(204);
    expect((await stack.api(`/api/v1/datasets/${datasetA}`, { method: 'DELETE', key: a.key })).status).toBe(404);
    // The comparison's queued member surface still holds the model.
    expect((await stack.api(`/api/v1/models/${modelA}`, { method: 'DELETE', key: a.key })).body).toMatchObject({ code: 'MODEL_IN_USE' });
  });
});
