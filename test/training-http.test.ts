import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelRecord } from '../contract/models.ts';
import type { TrainingRecord } from '../contract/training.ts';
import { readEvents } from './helpers/sse.ts';
import { startStack, type Stack } from './helpers/stack.ts';
import { until } from './helpers/until.ts';

let stack: Stack;

beforeAll(async () => {
  // No fixtures: a fixture trained with the same recipe would be reused instead of trained.
  stack = await startStack({ workers: 1, fixtures: null });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

const post = (path: string, json: unknown) => stack.api(path, { method: 'POST', json });

const request = {
  architecture: { id: 'mlp-res' },
  dataset: { id: 'spirals' },
  epochs: 3,
  batchSize: 100,
  optimizer: { name: 'sgd', learningRate: 0.05 },
  schedule: { kind: 'step', milestones: [2], gamma: 0.5 },
  weightDecay: 1e-4,
  seed: 9,
  checkpointEvery: 1,
};

describe('POST /api/v1/trainings', () => {
  it('trains over the queue, streams epochs, keeps checkpoints and registers the model', async () => {
    const submitted = await post('/api/v1/trainings', request);
    expect(submitted.status).toBe(202);
    const record = submitted.body as unknown as TrainingRecord;
    expect(record.status).toBe('queued');
    expect(record.request).toMatchObject({ optimizer: { name: 'sgd', learningRate: 0.05, momentum: 0.9, nesterov: true }, batchSize: 100 });

    const events = await readEvents(`${stack.baseUrl}${record.links.events}`, { timeoutMs: 120_000 });
    const epochs = events.filter((e) => e.event === 'epoch').map((e) => JSON.parse(e.data) as { epoch: number; loss: number; learningRate: number });
    expect(epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(epochs.map((e) => e.learningRate)).toEqual([0.05, 0.05, 0.025]);
    expect(epochs[2]!.loss).toBeLessThan(epochs[0]!.loss);
    expect(events.filter((e) => e.event === 'checkpoint').map((e) => (JSON.parse(e.data) as { epoch: number }).epoch)).toEqual([0, 1, 2, 3]);
    const done = events.at(-1)!;
    expect(done.event).toBe('done');
    const { modelId } = JSON.parse(done.data) as { modelId: string };

    const final = (await (await fetch(`${stack.baseUrl}${record.links.self}`)).json()) as TrainingRecord;
    expect(final.status).toBe('completed');
    expect(final.modelId).toBe(modelId);
    expect(final.request).toMatchObject({ engine: 'onnxruntime' });
    expect(final.backend).toMatch(/^onnxruntime-node \S+ autodiff/);
    expect(final.history).toHaveLength(3);
    expect(final.checkpoints).toHaveLength(4);

    const model = (await (await fetch(`${stack.baseUrl}/api/v1/models/${modelId}`)).json()) as ModelRecord;
    expect(model.source).toBe('training');
    expect(model.dataset).toBe('spirals');
    expect(model.parameterCount).toBe(final.checkpoints[0]!.parameterCount);
    expect(model.layers.some((l) => l.className === 'Add')).toBe(true);
    expect(model.metadata).toMatchObject({ training: record.id, recipe: { seed: 9 } });

    const listed = (await (await fetch(`${stack.baseUrl}/api/v1/trainings`)).json()) as { items: TrainingRecord[] };
    expect(listed.items.map((t) => t.id)).toContain(record.id);
  }, 180_000);

  it('the same request trains to the same weights (same backend)', async () => {
    const ids = [];
    for (let i = 0; i < 2; i++) {
      const { body } = await post('/api/v1/trainings', { ...request, epochs: 1, schedule: { kind: 'constant' }, checkpointEvery: 0 });
      const events = await readEvents(`${stack.baseUrl}${(body as unknown as TrainingRecord).links.events}`, { timeoutMs: 120_000 });
      ids.push((JSON.parse(events.at(-1)!.data) as { modelId: string }).modelId);
    }
    const models = await Promise.all(ids.map(async (id) => (await (await fetch(`${stack.baseUrl}/api/v1/models/${id}`)).json()) as ModelRecord));
    expect(models[0]!.files['weights.bin']).toBe(models[1]!.files['weights.bin']);
  }, 180_000);

  it('DELETE stops a running training after its current batch', async () => {
    const { body } = await post('/api/v1/trainings', { ...request, epochs: 300, schedule: { kind: 'constant' }, checkpointEvery: 0 });
    const self = (body as unknown as TrainingRecord).links.self;
    await until('an epoch to finish', async () => ((await (await fetch(`${stack.baseUrl}${self}`)).json()) as TrainingRecord).progress.epoch >= 1);
    expect((await fetch(`${stack.baseUrl}${self}`, { method: 'DELETE' })).status).toBe(200);
    const events = await readEvents(`${stack.baseUrl}${self}/events`, { timeoutMs: 60_000 });
    expect(events.at(-1)!.event).toBe('cancelled');
    const final = (await (await fetch(`${stack.baseUrl}${self}`)).json()) as TrainingRecord;
    expect(final.status).toBe('cancelled');
    expect(final.modelId).toBeNull();
    expect(final.progress.epoch).toBeLessThan(300);
  }, 180_000);

  it('a training whose loss becomes NaN fails with the epochs it completed, and registers no model', async () => {
    // Momentum 0.999 at rate 0.5: the logits overflow in epoch 5 (see test/training-engine.test.ts).
    const { body } = await post('/api/v1/trainings', {
      ...request, epochs: 30, batchSize: 50, optimizer: { name: 'sgd', learningRate: 0.5, momentum: 0.999 }, schedule: { kind: 'constant' }, weightDecay: 5e-4, seed: 3, checkpointEvery: 0,
    });
    const self = (body as unknown as TrainingRecord).links.self;
    const events = await readEvents(`${stack.baseUrl}${self}/events`, { timeoutMs: 120_000 });
    expect(events.at(-1)!.event).toBe('failed');
    expect(events.filter((e) => e.event === 'epoch')).toHaveLength(4);
    const final = (await (await fetch(`${stack.baseUrl}${self}`)).json()) as TrainingRecord;
    expect(final.status).toBe('failed');
    expect(final.error).toMatchObject({ code: 'TRAINING_DIVERGED' });
    expect(final.error!.message).toContain('4 epochs completed');
    expect(final.progress.epoch).toBe(4);
    expect(final.history).toHaveLength(4);
    expect(final.modelId).toBeNull();
  }, 180_000);

  it('trains on the tfjs engine when asked, and records it', async () => {
    const { body } = await post('/api/v1/trainings', { ...request, epochs: 1, schedule: { kind: 'constant' }, checkpointEvery: 0, engine: 'tfjs' });
    const record = body as unknown as TrainingRecord;
    expect(record.request).toMatchObject({ engine: 'tfjs' });
    const events = await readEvents(`${stack.baseUrl}${record.links.events}`, { timeoutMs: 120_000 });
    expect(events.at(-1)!.event).toBe('done');
    const final = (await (await fetch(`${stack.baseUrl}${record.links.self}`)).json()) as TrainingRecord;
    expect(final.backend).toMatch(/^tfjs /);
    expect(final.history[0]!.accuracy).toBeGreaterThan(0);
  }, 180_000);

  it('lists the architecture catalog', async () => {
    const { items } = (await (await fetch(`${stack.baseUrl}/api/v1/architectures`)).json()) as { items: { id: string; pairedWith: string | null; parameterCounts: { inputShape: number[]; trainable: number }[] }[] };
    const resnet20 = items.find((a) => a.id === 'resnet20')!;
    expect(resnet20.pairedWith).toBe('resnet20-noshort');
    expect(resnet20.parameterCounts.find((c) => c.inputShape[2] === 3)!.trainable).toBe(272474);
    expect(items.map((a) => a.id)).toEqual(expect.arrayContaining(['resnet56-noshort', 'densenet-small', 'plain-cnn', 'mlp', 'mlp-res']));
  });

  it('rejects an architecture that does not fit the dataset, naming the field', async () => {
    const { status, body } = await post('/api/v1/trainings', { ...request, architecture: { id: 'resnet20' } });
    expect(status).toBe(400);
    expect(body.field).toBe('architecture.id');
    const unknown = await post('/api/v1/trainings', { ...request, dataset: { id: 'nope' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.field).toBe('dataset.id');
    const subset = await post('/api/v1/trainings', { ...request, dataset: { id: 'spirals', samples: 1_000_000 } });
    expect(subset.status).toBe(400);
    expect(subset.body).toMatchObject({ code: 'TOO_MANY_SAMPLES', field: 'dataset.samples' });
    const milestone = await post('/api/v1/trainings', { ...request, epochs: 2 });
    expect(milestone.status).toBe(400);
    expect(milestone.body.field).toBe('schedule.milestones');
    const warmup = await post('/api/v1/trainings', { ...request, epochs: 3, warmupEpochs: 3 });
    expect(warmup.status).toBe(400);
    expect(warmup.body.field).toBe('warmupEpochs');
  });
});
