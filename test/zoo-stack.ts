import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Worker } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { QUEUES, redisKeys } from '../contract/index.ts';
import { buildApp } from '../server/app.ts';
import { loadConfig } from '../server/config.ts';
import comparisonRoutes from '../server/routes/comparisons.ts';
import trainingRoutes from '../server/routes/trainings.ts';
import { deleteNamespace } from './helpers/stack.ts';

const root = resolve(import.meta.dirname, '..');
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface ZooStack {
  baseUrl: string;
  app: FastifyInstance;
  namespace: string;
  stop(): Promise<void>;
}

/**
 * The real API (in this process) with the training and comparison routes (registered here when
 * server/app.ts does not yet), one real worker process (worker/main.ts) for surfaces, and a real
 * sandboxed BullMQ worker for the trainings queue (when worker/main.ts does not yet run one, both
 * simply share the queue), on a fresh Redis namespace and data directory. No fixture models are
 * registered unless `fixturesDir` names a folder of them.
 */
export async function startZooStack(options: { fixturesDir?: string } = {}): Promise<ZooStack> {
  const namespace = `t${randomBytes(5).toString('hex')}`;
  const dataDir = await mkdtemp(join(tmpdir(), 'loss-atlas-zoo-'));
  const env = { ...process.env, REDIS_URL: redisUrl, LA_NAMESPACE: namespace, DATA_DIR: dataDir };
  const config = loadConfig({ ...env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', WEB_DIST: join(root, 'web/dist'), FIXTURES_DIR: options.fixturesDir ?? join(dataDir, 'no-fixtures') });
  const app = await buildApp(config);
  if (!app.hasRoute({ method: 'POST', url: '/api/v1/trainings' })) await app.register(trainingRoutes, { prefix: '/api/v1' });
  if (!app.hasRoute({ method: 'POST', url: '/api/v1/comparisons' })) await app.register(comparisonRoutes, { prefix: '/api/v1' });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

  const worker: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], { cwd: root, env, detached: true, stdio: ['ignore', 'ignore', 'inherit'] });
  const deadline = Date.now() + 60_000;
  while (((await (await fetch(`${baseUrl}/health`)).json()) as { workers: number }).workers < 1) {
    if (worker.exitCode !== null) throw new Error(`worker exited with ${worker.exitCode}`);
    if (Date.now() > deadline) throw new Error('worker did not report within 60 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const trainer = new Worker(QUEUES.trainings, join(root, 'worker/jobs/training.ts'), {
    connection,
    prefix: redisKeys(namespace).bullPrefix,
    concurrency: 1,
    useWorkerThreads: false,
    workerForkOptions: { execArgv: ['--import', 'tsx'], env },
  });

  return {
    baseUrl,
    app,
    namespace,
    async stop() {
      await trainer.close();
      connection.disconnect();
      await new Promise<void>((done) => {
        if (worker.exitCode !== null || worker.signalCode !== null) return done();
        worker.once('exit', () => done());
        process.kill(-worker.pid!, 'SIGTERM');
        setTimeout(() => worker.exitCode === null && process.kill(-worker.pid!, 'SIGKILL'), 8000).unref();
      });
      await app.close();
      await deleteNamespace(namespace);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
