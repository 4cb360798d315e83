import { createHash, randomUUID } from 'node:crypto';
import * as tf from '../worker/engine/tfjs/tf.ts';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { Value } from 'typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUES, redisKeys, type Provenance, type ResolvedDirectionOptions, type SurfacePlan } from '../contract/index.ts';
import { GradientFlow, type GradientFlowJobData } from '../contract/metrics/gradient-flow.ts';
import { HessianMapResult, hessianKeys, type HessianJobData } from '../contract/metrics/hessian.ts';
import { builtinDataset } from '../worker/datasets/builtin.ts';
import { evaluationData } from '../worker/datasets/select.ts';
import { createGradientEngine } from '../worker/autodiff/index.ts';
import { initTfjs } from '../worker/engine/tfjs/backend.ts';
import { denseHessian } from '../worker/hessian/dense-hessian.ts';
import { symmetricEigen } from '../worker/hessian/symmetric-eigen.ts';
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
const queue = new Queue(QUEUES.analysis, { connection, prefix: keys.bullPrefix });
const events = new QueueEvents(QUEUES.analysis, { connection: { url: redisUrl }, prefix: keys.bullPrefix });
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
  worker = new Worker(QUEUES.analysis, analysisProcessor({ redis: connection, keys, namespace }), { connection: workerConnection, prefix: keys.bullPrefix });
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
    const request = { points: 3, maxSteps: 200, tolerance: 1e-2, seed: 0, samples: 120, parameters: 'weights' as const };
    const job = await queue.add('hessian-map', { surfaceId: 'surface-1', request } satisfies HessianJobData);
    const result = (await job.waitUntilFinished(events, 120_000)) as HessianMapResult;
    expect(Value.Check(HessianMapResult, result)).toBe(true);
    expect(result.shape).toEqual([3, 3]);
    expect(result.points.map((p) => p.ix)).toEqual([0, 2, 4, 0, 2, 4, 0, 2, 4]);
    expect(result.points.map((p) => p.iy)).toEqual([0, 0, 0, 2, 2, 2, 4, 4, 4]);
    expect(result.summary.points).toBe(9);
    expect(JSON.parse((await connection.get(hessianKeys(namespace).result('surface-1')))!)).toEqual(result);

    expect(result.settings).toMatchObject({ products: 'exact', parameters: 'weights', differentiated: 2 * 6 + 6 * 3 });
    expect(result.engine.backend).toContain('onnxruntime');

    // The corner (α, β) = (1, −1) against the extreme eigenvalues of the dense Hessian over the
    // kernels, built column by column from exact products on the same model, samples and directions.
    const corner = result.points[2]!;
    expect(corner.converged).toBe(true);
    const { data } = evaluationData(builtinDataset('blobs'), 'test', 120, 0);
    const engine = await createGradientEngine(stored.artifact, { parameters: 'weights', batchNorm: 'moving', loss: 'sparse_categorical_crossentropy', batchSize: 64 });
    await engine.setData(data);
    const directions = surfaceDirections(stored.params, stored.theta, directionOptions, 2);
    const point = perturb(stored.theta, directions.x, 1, directions.y, -1, new Float32Array(stored.theta.length));
    const dense = await denseHessian(engine, point);
    await engine.dispose();
    const { values } = symmetricEigen(dense.matrix);
    expect(corner.lambdaMax).toBeCloseTo(values[values.length - 1]!, 4);
    expect(corner.lambdaMin).toBeCloseTo(values[0]!, 4);
  });

  it('maps a small conv net with BN (inference mode) over every trainable parameter: each point\'s λmax and λmin equal the dense Hessian\'s', async () => {
    const conv = await storedModel(tf.sequential({
      layers: [
        tf.layers.conv2d({ filters: 3, kernelSize: 3, strides: 3, inputShape: [28, 28, 1], kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }), biasInitializer: tf.initializers.constant({ value: 0.1 }) }),
        tf.layers.batchNormalization(),
        tf.layers.activation({ activation: 'relu' }),
        tf.layers.globalAveragePooling2d({}),
        tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }) }),
      ],
    }));
    conv.model.dispose();
    // Moving statistics away from (0, 1), so that inference-mode BN is not the identity.
    const theta = conv.theta.slice();
    for (const p of conv.params) {
      for (let i = 0; i < p.size; i++) {
        if (p.role === 'bn_moving_mean') theta[p.offset + i] = 0.05 * (i + 1);
        if (p.role === 'bn_moving_variance') theta[p.offset + i] = 0.02 + 0.01 * i;
        if (p.role === 'bn_gamma') theta[p.offset + i] = 1 + 0.2 * i;
      }
    }
    const artifact = { ...conv.artifact, files: { ...conv.artifact.files, 'weights.bin': new Uint8Array(theta.buffer) } };
    const files: Record<string, string> = {};
    for (const [name, bytes] of Object.entries(artifact.files)) files[name] = await putBlob(bytes);
    const convOptions: ResolvedDirectionOptions = { ...directionOptions, ignore: 'biasbn' };
    const directions = surfaceDirections(conv.params, theta, convOptions, 2);
    const both = new Float32Array(2 * theta.length);
    both.set(directions.x, 0);
    both.set(directions.y!, theta.length);
    const mnist: SurfacePlan['dataset'] = { id: 'mnist', hash: null, split: 'test', samples: 32, sampleSeed: 0 };
    const convPlan: SurfacePlan = {
      ...plan, surfaceId: 'surface-conv', model: { id: 'conv', hash: 'conv-hash', name: 'conv-bn', format: 'tfjs-layers', files }, dataset: mnist, directions: convOptions,
      grid: { x: { min: -1, max: 1, num: 3 }, y: { min: -1, max: 1, num: 3 } },
    };
    await connection.hset(keys.surface('surface-conv'), { status: 'completed', plan: JSON.stringify(convPlan), directions: JSON.stringify({ hash: await putBlob(new Uint8Array(both.buffer)), cosine: 0 }) });

    const request = { points: 2, maxSteps: 200, tolerance: 1e-4, seed: 0, samples: 32, parameters: 'trainable' as const };
    const job = await queue.add('hessian-map', { surfaceId: 'surface-conv', request } satisfies HessianJobData);
    const result = (await job.waitUntilFinished(events, 240_000)) as HessianMapResult;
    const trainable = conv.params.filter((p) => p.trainable).reduce((n, p) => n + p.size, 0);
    expect(result.settings).toMatchObject({ parameters: 'trainable', differentiated: trainable });
    expect(result.points).toHaveLength(4);

    const { data } = evaluationData(builtinDataset('mnist'), 'test', 32, 0);
    const engine = await createGradientEngine(artifact, { parameters: 'trainable', batchNorm: 'moving', loss: 'sparse_categorical_crossentropy', batchSize: 64 });
    await engine.setData(data);
    try {
      for (const p of result.points) {
        const point = perturb(theta, directions.x, p.x, directions.y, p.y!, new Float32Array(theta.length));
        const dense = await denseHessian(engine, point);
        expect(dense.indices).toHaveLength(trainable);
        // Exact products give a symmetric matrix up to float32 rounding.
        expect(dense.asymmetry).toBeLessThan(1e-4);
        const { values } = symmetricEigen(dense.matrix);
        const lambdaMax = values[values.length - 1]!;
        const lambdaMin = values[0]!;
        const scale = Math.max(Math.abs(lambdaMax), Math.abs(lambdaMin));
        expect(p.converged).toBe(true);
        expect(Math.abs(p.lambdaMax! - lambdaMax)).toBeLessThan(1e-3 * scale);
        expect(Math.abs(p.lambdaMin! - lambdaMin)).toBeLessThan(1e-3 * scale);
      }
    } finally {
      await engine.dispose();
    }
  }, 300_000);

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
    const request = { points: 3, maxSteps: 8, tolerance: 1e-2, seed: 0, samples: 120, parameters: 'weights' as const };
    const job = await queue.add('hessian-map', { surfaceId: 'surface-2', request }, { attempts: 3 });
    await expect(job.waitUntilFinished(events, 30_000)).rejects.toThrow(/not completed/);
    expect((await queue.getJob(job.id!))!.attemptsMade).toBe(1);
  });
});
