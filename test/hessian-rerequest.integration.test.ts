import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUES, type SurfaceRecord } from '../contract/index.ts';
import { hessianJobId, hessianKeys, resolveHessianRequest, type HessianJobData, type HessianMapRequest, type HessianMapResult } from '../contract/metrics/hessian.ts';
import { startStack, type Stack } from './helpers/stack.ts';
import { mlpFiles, uploadModel } from './helpers/models.ts';
import { until } from './helpers/until.ts';

/**
 * Real API, real Redis, a real worker process for the surface and the first map. A worker stores
 * a map in Redis a moment before BullMQ completes its job; a request for the same settings in that
 * moment used to answer 500 (a finished map sent through the 202 progress schema). The moment is
 * held open here by a BullMQ worker of the test that stores the map and then waits. Likewise a
 * map or spectrum job failing between the service's reads of its state used to be reported failed
 * without its reason (CI: error null).
 */
let stack: Stack;
let analysis: Queue<HessianJobData>;
let surfaceId: string;
/** The map the first test computed (seed 0). */
let previous: HessianMapResult;
const SAMPLES = 100;
const request: HessianMapRequest = { points: 2, samples: SAMPLES };

async function postHessian(json: HessianMapRequest = request): Promise<{ status: number; body: { status: string; progress: { done: number; total: number } } }> {
  return stack.api(`/api/v1/surfaces/${surfaceId}/hessian`, { method: 'POST', json });
}

const finishedMap = () =>
  until('the Hessian map', async () => {
    const { status, body } = await stack.api<HessianMapResult>(`/api/v1/surfaces/${surfaceId}/hessian`);
    return status === 200 ? body : null;
  });

beforeAll(async () => {
  stack = await startStack({ workers: 1, fixtures: null });
  const { redis, keys } = stack.app.services;
  analysis = new Queue(QUEUES.analysis, { connection: redis, prefix: keys.bullPrefix });
  const model = await uploadModel(stack.baseUrl, 'moons mlp', await mlpFiles([8]));
  const created = await stack.api<{ id: string }>('/api/v1/surfaces', {
    method: 'POST',
    json: { model: model.body.id, dataset: { id: 'moons', samples: SAMPLES }, grid: { x: { min: -1, max: 1, num: 3 }, y: { min: -1, max: 1, num: 3 } } },
  });
  surfaceId = created.body.id;
  await until('the surface', async () => {
    const { body } = await stack.api<SurfaceRecord>(`/api/v1/surfaces/${surfaceId}`);
    expect(body.status).not.toBe('failed');
    return body.status === 'completed' ? body : null;
  });
}, 120_000);

afterAll(async () => {
  await analysis?.close();
  await stack?.stop();
});

describe('a Hessian map requested again while its job completes', () => {
  it('joins the finishing job (202, running, all points done), and a request after it completes queues a new one', async () => {
    expect((await postHessian()).status).toBe(202);
    const computed = await finishedMap();
    const realWorker = stack.workers[0]!;
    await new Promise<void>((exited) => {
      realWorker.once('exit', () => exited());
      stack.killWorker(realWorker, 'SIGKILL');
    });

    // Replaces the completed map: its job waits for a worker, and none but the test's runs now.
    const replaced = await postHessian();
    expect(replaced.status).toBe(202);
    expect(replaced.body.status).toBe('queued');

    const { redis, keys } = stack.app.services;
    const jobId = hessianJobId(surfaceId, resolveHessianRequest(request, SAMPLES));
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let stored!: () => void;
    const mapStored = new Promise<void>((r) => (stored = r));
    const finishing = new Worker<HessianJobData>(
      QUEUES.analysis,
      async (job: Job<HessianJobData>) => {
        expect(job.id).toBe(jobId);
        // What worker/jobs/hessian.ts does last: the map into Redis, then the job's return.
        const raw = JSON.stringify(computed);
        await redis.set(hessianKeys(stack.namespace).result(surfaceId), raw);
        stored();
        await released;
        return raw;
      },
      { connection: redis.duplicate({ maxRetriesPerRequest: null }), prefix: keys.bullPrefix },
    );
    try {
      await mapStored;
      const joined = await postHessian();
      expect(joined.status).toBe(202);
      expect(joined.body.status).toBe('running');
      expect(joined.body.progress).toEqual({ done: 4, total: 4 });
      expect((await (await analysis.getJob(jobId))!.getState())).toBe('active');
      release();
      expect(await finishedMap()).toEqual(computed);
      // JOB_OPTIONS.hessianMap removes a completed job.
      await until('the job to complete', async () => (await analysis.getJob(jobId)) === undefined);
    } finally {
      release();
      await finishing.close();
    }

    // Once the job has completed, the same settings are a new request again.
    const again = await postHessian();
    expect(again.status).toBe(202);
    expect(again.body.status).toBe('queued');
    previous = computed;
  }, 120_000);

  it('never serves the previous map once it is requested again, for the same settings or others, even when its copy to disk lands late', async () => {
    // The second half of a copy to disk that read the previous map from Redis before the request
    // deleted it (the API's QueueEvents 'completed' handler, or a GET, running late).
    const hessians = stack.app.services.hessians as unknown as { keep(surfaceId: string, raw: string): Promise<HessianMapResult | null> };
    const served = () => stack.api<{ status?: string; settings?: { seed: number } }>(`/api/v1/surfaces/${surfaceId}/hessian`);

    // The same settings are queued again (the first test's last request): their job's id is the previous map's.
    expect(await hessians.keep(surfaceId, JSON.stringify(previous))).toBeNull();
    const same = await served();
    expect(same.status).toBe(202);
    expect(same.body.status).toBe('queued');

    expect((await postHessian({ ...request, seed: 5 })).status).toBe(202);
    expect(await hessians.keep(surfaceId, JSON.stringify(previous))).toBeNull();
    const other = await served();
    expect(other.body.settings?.seed).toBeUndefined();
    expect(other.status).toBe(202);
    expect(other.body.status).toBe('queued');
  });

  it('reports a map job that fails while its state is read as it was when read, and then failed with its reason', async () => {
    // No worker but the test's: the jobs the tests above left queued would be taken first.
    for (const queued of [request, { ...request, seed: 5 }]) expect(await analysis.remove(hessianJobId(surfaceId, resolveHessianRequest(queued, SAMPLES)))).toBe(1);
    const failing = { ...request, seed: 7 };
    expect((await postHessian(failing)).status).toBe(202);
    await failWhileRead(stack.app.services.hessians.queue, hessianJobId(surfaceId, resolveHessianRequest(failing, SAMPLES)), `/api/v1/surfaces/${surfaceId}/hessian`);
  });

  it('reports a spectrum job that fails while its state is read as it was when read, and then failed with its reason', async () => {
    const posted = await stack.api<{ id: string; status: string }>(`/api/v1/surfaces/${surfaceId}/spectrum`, { method: 'POST', json: { samples: SAMPLES } });
    expect(posted.status).toBe(202);
    await failWhileRead(stack.app.services.spectra.queue, posted.body.id, `/api/v1/surfaces/${surfaceId}/spectrum/${posted.body.id}`);
  });
});

/**
 * Fails job `jobId` (taken by a BullMQ worker of the test) right after the service has read its
 * hash through `queue.getJob`, before anything else the service reads; `path` must then answer as
 * the job was when read (running, no error), and afterwards failed with the reason.
 */
async function failWhileRead(queue: Queue, jobId: string, path: string): Promise<void> {
  const { redis, keys } = stack.app.services;
  let fail!: () => void;
  const failNow = new Promise<void>((r) => (fail = r));
  let started!: () => void;
  const active = new Promise<void>((r) => (started = r));
  const worker = new Worker(
    QUEUES.analysis,
    async (job: Job) => {
      expect(job.id).toBe(jobId);
      started();
      await failNow;
      throw new UnrecoverableError('the reason');
    },
    { connection: redis.duplicate({ maxRetriesPerRequest: null }), prefix: keys.bullPrefix },
  );
  const getJob = queue.getJob.bind(queue);
  let interleaved = false;
  queue.getJob = async (id: string) => {
    const job = await getJob(id);
    if (id === jobId && !interleaved) {
      interleaved = true;
      fail();
      await until(`job ${jobId} to fail`, async () => (await analysis.getJobState(jobId)) === 'failed');
    }
    return job;
  };
  try {
    await active;
    const read = await stack.api<{ status: string; error: string | null }>(path);
    expect(interleaved).toBe(true);
    expect(read.status).toBe(202);
    expect(read.body).toMatchObject({ status: 'running', error: null });
    const after = await stack.api<{ status: string; error: string | null }>(path);
    expect(after.body).toMatchObject({ status: 'failed', error: 'the reason' });
  } finally {
    queue.getJob = getJob;
    fail();
    await worker.close();
  }
}
