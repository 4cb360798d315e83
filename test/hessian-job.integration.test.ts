import { createHash, randomUUID } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { Value } from 'typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisKeys, type Provenance, type ResolvedDirectionOptions, type SurfacePlan } from '../contract/index.ts';
import { GradientFlow, type GradientFlowJobData } from '../contract/metrics/gradient-flow.ts';
import { ANALYSIS_QUEUE, HessianMapResult, hessianKeys, type HessianJobData } from '../contract/metrics/hessian.ts';
import { builtinDataset } from '../worker/datasets/builtin.ts';
import { evaluationData } from '../worker/datasets/select.ts';
import { initTfjs } from '../worker/engine/tfjs/backend.ts';
import { createGradientEvaluator } from '../worker/engine/tfjs/gradient.ts';
import { eigenRatio } from '../worker/hessian/eigen-ratio.ts';
import { trainableMask } from '../worker/hessian/hessian-map.ts';
import { storedModel } from '../worker/hessian/test-models.ts';
import { analysisProcessor } from '../worker/jobs/hessian.ts';
import { surfaceDirections } from '../worker/numeric/directions.ts';
import { perturb } from '../worker/numeric/vector.ts';
import { deleteNamespace } from './helpers/stack.ts';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const namespace = `test-hessian-${randomUUID().slice(0, 8)}`;
const keys = redisKeys(namespace);
const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
const workerConnection = new Redis(redisUrl, { maxRetriesPerRequest: null });
const queue = new Queue(ANALYSIS_QUEUE, { connection, prefix: keys.bullPrefix });
const events = new QueueEvents(ANALYSIS_QUEUE, { connection: { url: redisUrl }, prefix: keys.bullPrefix });
let worker: Worker;

const directionOptions: ResolvedDirectionOptions = { seed: 3, normalization: 'filter', ignore: 'biasbn', mode: 'weights' };
const dataset: SurfacePlan['dataset'] = { id: 'blobs', hash: null, split: 'test', samples: 120, sampleSeed: 0 };
let plan: SurfacePlan;
let stored: Awaited<ReturnType<typeof storedModel>>;

async function putBlob(bytes: Uint8Array): Promise<string> {
  const hash = createHash('sha256').update(bytes).digest('hex');
  await connection.set(keys.blob(hash), Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return hash;
}

beforeAll(async () => {
  await initTfjs();
  stored = await storedModel(tf.sequential({
    layers: [
      tf.layers.dense({ units: 6, inputShape: [2], activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
      tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
    ],
  }));
  const files: Record<string, string> = {};
  for (const [name, bytes] of Object.entries(stored.artifact.files)) files[name] = await putBlob(bytes);
  const directions = surfaceDirections(stored.params, stored.theta, directionOptions, 2);
  const both = new Float32Array(2 * stored.theta.length);
  both.set(directions.x, 0);
  both.set(directions.y!, stored.theta.length);
  const directionsHash = await putBlob(new Uint8Array(both.buffer));
  plan = {
    surfaceId: 'surface-1',
    model: { id: 'm1', hash: 'model-hash', name: 'mlp', format: 'tfjs-layers', files },
    dataset,
    directions: directionOptions,
    grid: { x: { min: -1, max: 1, num: 5 }, y: { min: -1, max: 1, num: 5 } },
    loss: 'sparse_categorical_crossentropy',
    batchSize: 64,
    engine: 'tfjs',
    provenance: {} as Provenance,
  };
  await connection.hset(keys.surface('surface-1'), { status: 'completed', plan: JSON.stringify(plan), directions: JSON.stringify({ hash: directionsHash, cosine: 0 }) });
  await connection.hset(keys.surface('surface-2'), { status: 'running', plan: JSON.stringify({ ...plan, surfaceId: 'surface-2' }) });
  worker = new Worker(ANALYSIS_QUEUE, analysisProcessor({ redis: connection, keys, namespace }), { connection: workerConnection, prefix: keys.bullPrefix });
  await events.waitUntilReady();
});

afterAll(async () => {
  await worker?.close();
  await queue.obliterate({ force: true });
  await Promise.all([queue.close(), events.close()]);
  connection.disconnect();
  workerConnection.disconnect();
  stored?.model.dispose();
  await deleteNamespace(namespace);
});

describe('analysis jobs on a real queue', () => {
  it('maps |λmin/λmax| over a 3×3 sub-grid of a finished surface and stores the result', async () => {
    const request = { points: 3, maxSteps: 8, tolerance: 1e-2, seed: 0, samples: 120 };
    const job = await queue.add('hessian-map', { surfaceId: 'surface-1', request } satisfies HessianJobData);
    const result = (await job.waitUntilFinished(events, 120_000)) as HessianMapResult;
    expect(Value.Check(HessianMapResult, result)).toBe(true);
    expect(result.shape).toEqual([3, 3]);
    expect(result.points.map((p) => p.ix)).toEqual([0, 2, 4, 0, 2, 4, 0, 2, 4]);
    expect(result.points.map((p) => p.iy)).toEqual([0, 0, 0, 2, 2, 2, 4, 4, 4]);
    expect(result.summary.points).toBe(9);
    expect(JSON.parse((await connection.get(hessianKeys(namespace).result('surface-1')))!)).toEqual(result);

    // The corner (α, β) = (1, −1) computed directly from the same model, samples and directions.
    const corner = result.points[2]!;
    const { data } = evaluationData(builtinDataset('blobs'), 'test', 120, 0);
    const gradients = createGradientEvaluator(stored.model, data, { loss: 'sparse_categorical_crossentropy', params: stored.params, batchSize: 64 });
    const directions = surfaceDirections(stored.params, stored.theta, directionOptions, 2);
    const point = perturb(stored.theta, directions.x, 1, directions.y, -1, new Float32Array(stored.theta.length));
    const direct = await eigenRatio(async (p) => (await gradients.lossAndGradient(p)).gradient, point, trainableMask(stored.params), { lanczos: { maxSteps: 8, tolerance: 1e-2 }, seed: 0 });
    gradients.dispose();
    expect(corner.lambdaMax).toBeCloseTo(direct.lambdaMax, 4);
    expect(corner.lambdaMin).toBeCloseTo(direct.lambdaMin, 4);
  });

  it('computes gradient flow at the stored weights', async () => {
    const data: GradientFlowJobData = { model: plan.model, dataset, loss: 'sparse_categorical_crossentropy', batchSize: 64, label: 'trained', parameters: { source: 'stored' } };
    const job = await queue.add('gradient-flow', data);
    const flow = (await job.waitUntilFinished(events, 60_000)) as GradientFlow;
    expect(Value.Check(GradientFlow, flow)).toBe(true);
    expect(flow.label).toBe('trained');
    expect(flow.layers.map((l) => l.size)).toEqual([2 * 6, 6 * 3]);
    expect(flow.layers.every((l) => l.norm > 0)).toBe(true);
  });

  it('refuses a surface that is not completed, without retrying', async () => {
    const request = { points: 3, maxSteps: 8, tolerance: 1e-2, seed: 0, samples: 120 };
    const job = await queue.add('hessian-map', { surfaceId: 'surface-2', request }, { attempts: 3 });
    await expect(job.waitUntilFinished(events, 30_000)).rejects.toThrow(/not completed/);
    expect((await queue.getJob(job.id!))!.attemptsMade).toBe(1);
  });
});
