import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { buildApp } from '../../server/app.ts';
import { loadConfig } from '../../server/config.ts';
import { until } from './until.ts';

const root = resolve(import.meta.dirname, '../..');
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface StackOptions {
  /** Worker processes to start (default 1). */
  workers?: number;
  /** Lock duration of chunk jobs in ms (default 30000); short locks make killed-worker recovery quick. */
  lockMs?: number;
  /** Data directory to reuse (default: a fresh temporary one, removed on stop). */
  dataDir?: string;
  /** Namespace to reuse (default: a fresh one, whose keys are deleted on stop). */
  namespace?: string;
  /** Demo models and comparisons to register (default: the project's fixtures); `null` for none. */
  fixtures?: null;
  /** Folder of comparison fixtures to list instead of the project's (the models stay the project's unless modelFixtures names others). */
  comparisonFixtures?: string;
  /** Folder of model fixtures to register instead of the project's. */
  modelFixtures?: string;
  /** Environment of the API and the workers, e.g. LA_API_KEYS. */
  env?: Record<string, string>;
}

export interface Stack {
  baseUrl: string;
  app: FastifyInstance;
  namespace: string;
  dataDir: string;
  workers: ChildProcess[];
  /**
   * An HTTP request to the API: `json` is sent as a JSON body, `key` as `Authorization: Bearer`;
   * the reply's status and parsed JSON body (null when empty).
   */
  api<T = Record<string, unknown>>(path: string, init?: RequestInit & { json?: unknown; key?: string }): Promise<{ status: number; body: T }>;
  /** Start one more real worker process. */
  addWorker(): Promise<ChildProcess>;
  /** Kill a worker process and its sandbox (its process group) with a signal, default SIGKILL. */
  killWorker(worker: ChildProcess, signal?: NodeJS.Signals): void;
  /** Stop the API only (workers and Redis state stay), e.g. to test a restart. */
  stopApi(): Promise<void>;
  stop(options?: { keepData?: boolean }): Promise<void>;
}

/** The real API (in this process, on a free port) and real worker processes, on a fresh Redis namespace. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const namespace = options.namespace ?? `t${randomBytes(5).toString('hex')}`;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'loss-atlas-')));
  const env = {
    ...process.env,
    REDIS_URL: redisUrl,
    LA_NAMESPACE: namespace,
    LA_LOCK_MS: String(options.lockMs ?? 30_000),
    LA_STALLED_MS: String(Math.max(1000, Math.round((options.lockMs ?? 30_000) / 2))),
    DATA_DIR: dataDir,
    ...options.env,
  };
  const fixtures = options.fixtures === null ? join(dataDir, 'no-fixtures') : join(root, 'fixtures');
  const config = loadConfig({
    ...env,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    WEB_DIST: join(root, 'web/dist'),
    FIXTURES_DIR: options.modelFixtures ?? join(fixtures, 'models'),
    COMPARISON_FIXTURES_DIR: options.comparisonFixtures ?? join(fixtures, 'comparisons'),
  });
  const app = await buildApp(config);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const workers: ChildProcess[] = [];
  let apiOpen = true;


  /** Resolves when this worker's own heartbeat is in Redis (a count could be fooled by a killed worker's beat expiring). */
  async function addWorker(): Promise<ChildProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], { cwd: root, env, detached: true, stdio: ['ignore', 'ignore', 'inherit'] });
    workers.push(child);
    const heartbeat = app.services.keys.worker(`${hostname()}-${child.pid}`);
    await until(`worker ${child.pid} to report`, async () => {
      if (child.exitCode !== null) throw new Error(`worker exited with ${child.exitCode}`);
      return (await app.services.redis.exists(heartbeat)) === 1;
    });
    return child;
  }

  function killWorker(worker: ChildProcess, signal: NodeJS.Signals = 'SIGKILL') {
    try {
      process.kill(-worker.pid!, signal);
    } catch {
      /* already gone */
    }
  }

  for (let i = 0; i < (options.workers ?? 1); i++) await addWorker();

  return {
    baseUrl,
    app,
    namespace,
    dataDir,
    workers,
    async api<T>(path: string, init?: RequestInit & { json?: unknown; key?: string }) {
      const response = await fetch(`${baseUrl}${path}`, {
        ...init,
        headers: {
          ...(init?.headers as Record<string, string> | undefined),
          ...(init?.json !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(init?.key ? { authorization: `Bearer ${init.key}` } : {}),
        },
        body: init?.json !== undefined ? JSON.stringify(init.json) : init?.body,
      });
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
    },
    addWorker,
    killWorker,
    async stopApi() {
      if (apiOpen) await app.close();
      apiOpen = false;
    },
    async stop({ keepData = false } = {}) {
      await Promise.all(
        workers.map(
          (w) =>
            new Promise<void>((done) => {
              if (w.exitCode !== null || w.signalCode !== null) return done();
              w.once('exit', () => done());
              killWorker(w, 'SIGTERM');
              setTimeout(() => killWorker(w, 'SIGKILL'), 8000).unref();
            }),
        ),
      );
      if (apiOpen) await app.close();
      if (!options.namespace) await deleteNamespace(namespace);
      if (!keepData && !options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export async function deleteNamespace(namespace: string): Promise<void> {
  const redis = new Redis(redisUrl);
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${namespace}:*`, 'COUNT', 1000);
    if (found.length) await redis.del(...found);
    cursor = next;
  } while (cursor !== '0');
  redis.disconnect();
}
