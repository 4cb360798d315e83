import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SurfaceRecord, SurfaceResult } from '../contract/index.ts';
import { mlpFiles, uploadModel } from './helpers/models.ts';
import { readEventStream, readEvents } from './helpers/sse.ts';
import { startStack, type Stack } from './helpers/stack.ts';
import { until } from './helpers/until.ts';

/** A private redis-server this test stops and restarts (append-only file on, as in production, so its data survives the restart). */
class PrivateRedis {
  private process?: ChildProcess;
  constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    this.process = child;
    await new Promise<void>((resolve, reject) => {
      let log = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        log += chunk.toString();
        if (log.includes('Ready to accept connections')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${log}`)));
    });
  }

  /** SIGTERM: Redis flushes its append-only file and exits, as on a shutdown. */
  async stop(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    await new Promise((resolve) => {
      child.once('exit', resolve);
      child.kill('SIGTERM');
    });
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

let redis: PrivateRedis;
let redisDir: string;
let stack: Stack;
let modelId: string;

beforeAll(async () => {
  redisDir = await mkdtemp(join(tmpdir(), 'la-redis-'));
  redis = new PrivateRedis(await freePort(), redisDir);
  await redis.start();
  stack = await startStack({ workers: 1, fixtures: null, env: { REDIS_URL: redis.url } });
  const upload = await uploadModel(stack.baseUrl, 'moons mlp', await mlpFiles([32, 32]));
  expect(upload.status).toBe(201);
  modelId = upload.body.id as string;
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  await redis?.stop();
  if (redisDir) await rm(redisDir, { recursive: true, force: true });
}, 60_000);

const request = () => ({
  model: modelId,
  dataset: { id: 'moons', split: 'test', samples: 400, sampleSeed: 2 },
  directions: { seed: 5 },
  grid: { x: { min: -1, max: 1, num: 24 }, y: { min: -1, max: 1, num: 24 } },
});

async function settled(id: string): Promise<SurfaceRecord> {
  return until(`surface ${id} to end`, async () => {
    const { status, body } = await stack.api<SurfaceRecord>(`/api/v1/surfaces/${id}`);
    return status === 200 && ['completed', 'failed', 'cancelled'].includes(body.status) && body;
  });
}

describe('while Redis is down', () => {
  it('routes answer 503 REDIS_UNAVAILABLE or serve finished data from disk, SSE streams end with an error event, and the surface completes with the values of an uninterrupted one', async () => {
    const clean = (await stack.api<{ id: string }>('/api/v1/surfaces', { method: 'POST', json: request() })).body.id;
    expect((await settled(clean)).status).toBe('completed');
    const cleanResult = (await stack.api<SurfaceResult>(`/api/v1/surfaces/${clean}/result`)).body;

    const submitted = await stack.api<{ id: string }>('/api/v1/surfaces', { method: 'POST', json: request() });
    expect(submitted.status).toBe(202);
    const interrupted = submitted.body.id;
    const stream = await fetch(`${stack.baseUrl}/api/v1/surfaces/${interrupted}/events`);
    expect(stream.status).toBe(200);
    const openBefore = readEventStream(stream);
    expect((await stack.api<SurfaceRecord>(`/api/v1/surfaces/${interrupted}`)).body.status).not.toBe('completed');
    await redis.stop();

    // The stream that was open ends with an error event instead of hanging.
    const before = await openBefore;
    expect(before.at(-1)).toMatchObject({ event: 'error' });
    expect(JSON.parse(before.at(-1)!.data)).toMatchObject({ code: 'REDIS_UNAVAILABLE' });

    for (const path of ['/api/v1/surfaces', `/api/v1/surfaces/${interrupted}`, `/api/v1/surfaces/${interrupted}/result`, '/api/v1/trainings', '/api/v1/comparisons']) {
      const { status, body } = await stack.api(path);
      expect({ path, status, code: body?.code }).toEqual({ path, status: 503, code: 'REDIS_UNAVAILABLE' });
    }
    const refused = await stack.api('/api/v1/surfaces', { method: 'POST', json: request() });
    expect({ status: refused.status, code: refused.body?.code }).toEqual({ status: 503, code: 'REDIS_UNAVAILABLE' });
    const training = await stack.api('/api/v1/trainings', { method: 'POST', json: { architecture: { id: 'mlp' }, dataset: { id: 'moons' }, epochs: 1 } });
    expect({ status: training.status, code: training.body?.code }).toEqual({ status: 503, code: 'REDIS_UNAVAILABLE' });
    // A stream opened during the outage: a 503 for a surface in flight, the ending from disk for a finished one.
    const during = await fetch(`${stack.baseUrl}/api/v1/surfaces/${interrupted}/events`);
    expect(during.status).toBe(503);
    expect(((await during.json()) as { code: string }).code).toBe('REDIS_UNAVAILABLE');
    expect((await readEvents(`${stack.baseUrl}/api/v1/surfaces/${clean}/events`, { timeoutMs: 10_000 })).map((e) => e.event)).toEqual(['done']);
    // Finished surfaces are served from disk.
    expect((await stack.api<SurfaceRecord>(`/api/v1/surfaces/${clean}`)).body.status).toBe('completed');
    expect((await stack.api<SurfaceResult>(`/api/v1/surfaces/${clean}/result`)).body.loss).toEqual(cleanResult.loss);
    expect((await stack.api('/health')).body).toMatchObject({ redis: 'down' });
    expect((await stack.api('/ready')).status).toBe(503);

    await redis.start();
    const resumed = await settled(interrupted);
    expect(resumed.status).toBe('completed');
    // The refused submission left nothing behind.
    expect((await stack.api<{ items: { id: string }[] }>('/api/v1/surfaces')).body.items.map((s) => s.id).sort()).toEqual([clean, interrupted].sort());
    const resumedResult = (await stack.api<SurfaceResult>(`/api/v1/surfaces/${interrupted}/result`)).body;
    expect(resumedResult.loss).toEqual(cleanResult.loss);
    expect(resumedResult.accuracy).toEqual(cleanResult.accuracy);
    // A stream opened now replays the whole history to its end.
    expect((await readEvents(`${stack.baseUrl}/api/v1/surfaces/${interrupted}/events`)).at(-1)!.event).toBe('done');
  }, 240_000);
});
