import { afterEach, describe, expect, it } from 'vitest';
import type { SurfaceRecord, SurfaceResult } from '../contract/index.ts';
import type { ComparisonRecord } from '../contract/comparisons.ts';
import type { TrainingRecord } from '../contract/training.ts';
import { deleteNamespace, startStack, type Stack } from './helpers/stack.ts';
import { mlpFiles, uploadModel } from './helpers/models.ts';
import { until } from './helpers/until.ts';

const stacks: Stack[] = [];
afterEach(async () => {
  // Last started first: a later stack may share an earlier one's data dir, which the earlier one deletes.
  for (const stack of stacks.splice(0).reverse()) await stack.stop();
});

async function finished(stack: Stack, id: string): Promise<SurfaceRecord> {
  return until(`surface ${id} to end`, async () => {
    const { body } = await stack.api<SurfaceRecord>(`/api/v1/surfaces/${id}`);
    return ['completed', 'failed', 'cancelled'].includes(body.status) && body;
  });
}

const request = (model: string) => ({
  model,
  dataset: { id: 'moons', samples: 200 },
  grid: { x: { min: -1, max: 1, num: 4 }, y: { min: -1, max: 1, num: 3 } },
});

function submit(stack: Stack, json: unknown) {
  return stack.api<{ id: string }>('/api/v1/surfaces', { method: 'POST', json });
}

describe('storage survives restarts', () => {
  it('serves models and finished surfaces after an API restart', async () => {
    const first = await startStack({ workers: 1 });
    stacks.push(first);
    const model = await uploadModel(first.baseUrl, 'moons mlp', await mlpFiles([8]));
    const { body } = await submit(first, request(model.body.id as string));
    expect((await finished(first, body.id)).status).toBe('completed');
    const before = (await first.api<SurfaceResult>(`/api/v1/surfaces/${body.id}/result`)).body;
    await first.stopApi();

    const second = await startStack({ workers: 0, dataDir: first.dataDir, namespace: first.namespace });
    stacks.push(second);
    const models = (await second.api<{ items: { id: string }[] }>(`/api/v1/models`)).body.items.map((m) => m.id);
    expect(models).toContain(model.body.id);
    const record = (await second.api<SurfaceRecord>(`/api/v1/surfaces/${body.id}`)).body;
    expect(record.status).toBe('completed');
    expect((await second.api<SurfaceResult>(`/api/v1/surfaces/${body.id}/result`)).body).toEqual(before);
    expect((await fetch(`${second.baseUrl}/api/v1/surfaces/${body.id}/directions`)).status).toBe(200);
  });

  it('keeps a finished comparison when Redis loses it', async () => {
    const first = await startStack({ workers: 1, fixtures: null });
    stacks.push(first);
    const model = await uploadModel(first.baseUrl, 'moons mlp', await mlpFiles([8]));
    const submitted = await first.api<ComparisonRecord>(`/api/v1/comparisons`, {
      method: 'POST',
      json: { members: [{ model: model.body.id }], shared: { dataset: { id: 'moons', samples: 100 }, grid: { x: { min: -1, max: 1, num: 3 } }, hessian: false } },
    });
    expect(submitted.status).toBe(202);
    const before = await until(`comparison ${submitted.body.id} to end`, async () => {
      const current = (await first.api<ComparisonRecord>(`/api/v1/comparisons/${submitted.body.id}`)).body;
      return current.status !== 'running' && current;
    });
    expect(before.status).toBe('completed');
    await first.stopApi();
    await deleteNamespace(first.namespace);

    const second = await startStack({ workers: 0, dataDir: first.dataDir, namespace: first.namespace, fixtures: null });
    stacks.push(second);
    const after = await second.api<ComparisonRecord>(`/api/v1/comparisons/${submitted.body.id}`);
    expect(after.status).toBe(200);
    expect(after.body).toEqual(before);
    const listed = (await second.api<{ items: { id: string }[] }>(`/api/v1/comparisons`)).body.items.map((c) => c.id);
    expect(listed).toEqual([submitted.body.id]);
  });

  it('trains again a run whose Redis state was lost in flight, and keeps the finished run', async () => {
    const first = await startStack({ workers: 0, fixtures: null });
    stacks.push(first);
    const submitted = await first.api<TrainingRecord>(`/api/v1/trainings`, {
      method: 'POST',
      json: { architecture: { id: 'mlp', width: 0.5 }, dataset: { id: 'moons' }, epochs: 1, seed: 5 },
    });
    expect(submitted.status).toBe(202);
    const id = submitted.body.id;
    await first.stopApi();
    await deleteNamespace(first.namespace);

    const second = await startStack({ workers: 1, dataDir: first.dataDir, namespace: first.namespace, fixtures: null });
    stacks.push(second);
    const record = await until(`training ${id} to end`, async () => {
      const current = (await second.api<TrainingRecord>(`/api/v1/trainings/${id}`)).body;
      return ['completed', 'failed', 'cancelled'].includes(current.status) && current;
    });
    expect(record).toMatchObject({ status: 'completed', modelId: `trained-${id}`, request: { seed: 5, epochs: 1 } });
    await second.stopApi();
    await deleteNamespace(first.namespace);

    const third = await startStack({ workers: 0, dataDir: first.dataDir, namespace: first.namespace, fixtures: null });
    stacks.push(third);
    const kept = await third.api<TrainingRecord>(`/api/v1/trainings/${id}`);
    expect(kept.status).toBe(200);
    expect(kept.body).toMatchObject({ status: 'completed', modelId: record.modelId, history: record.history });
    expect((await third.api<{ id: string }>(`/api/v1/models/${record.modelId}`)).status).toBe(200);
  });

  it('re-queues a surface whose queue state Redis lost, and computes it', async () => {
    const first = await startStack({ workers: 0 });
    stacks.push(first);
    const model = await uploadModel(first.baseUrl, 'moons mlp', await mlpFiles([8]));
    const { status, body } = await submit(first, request(model.body.id as string));
    expect(status).toBe(202);
    await first.stopApi();
    // Redis restarts empty: every key of this deployment is gone, the API's disk still has the plan.
    await deleteNamespace(first.namespace);

    const second = await startStack({ workers: 1, dataDir: first.dataDir, namespace: first.namespace });
    stacks.push(second);
    const record = await finished(second, body.id);
    expect(record.status).toBe('completed');
    expect(record.progress).toEqual({ done: 12, total: 12 });
  });
});
