import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Redis } from 'ioredis';
import { defaultWorkerCount, redactUrl } from '../worker/config.ts';

/**
 * `npm start`: Redis (an existing one, else a private one if redis-server is installed), the
 * viewer build if missing, the API and one worker process per core, restarted if they die.
 */
const root = resolve(import.meta.dirname, '..');
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const dataDir = resolve(root, process.env.DATA_DIR ?? 'data');
const children = new Set<ChildProcess>();
let stopping = false;

async function redisAnswers(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

async function ensureRedis(): Promise<void> {
  if (await redisAnswers(redisUrl)) return;
  const url = new URL(redisUrl);
  const local = ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(url.hostname);
  const found = spawnSync('redis-server', ['--version']).status === 0;
  if (!local || !found) {
    console.error(`No Redis answers at ${redactUrl(redisUrl)}. Start one (apt-get install redis-server; redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "") or set REDIS_URL.`);
    process.exit(1);
  }
  const dir = resolve(dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  console.log(`[start] no Redis at ${redactUrl(redisUrl)}: starting a private redis-server on 127.0.0.1:${url.port || 6379} (data in ${dir})`);
  const server = spawn('redis-server', ['--bind', '127.0.0.1', '--port', url.port || '6379', '--dir', dir, '--appendonly', 'yes', '--save', ''], { stdio: 'ignore' });
  children.add(server);
  for (let i = 0; i < 50 && !(await redisAnswers(redisUrl)); i++) await new Promise((r) => setTimeout(r, 100));
  if (!(await redisAnswers(redisUrl))) {
    console.error('[start] the private redis-server did not start');
    process.exit(1);
  }
}

function buildViewerIfMissing(): void {
  if (existsSync(resolve(root, 'web/dist/index.html'))) return;
  console.log('[start] building the viewer (web/dist)');
  const build = spawnSync('npm', ['run', 'build:web'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) console.error('[start] the viewer build failed; the API still runs (docs at /docs)');
}

/** Runs a TypeScript entry point; restarts it with backoff if it dies while we are not stopping. */
function supervise(name: string, entry: string, restarts = 0): void {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], { cwd: root, stdio: 'inherit', env: { ...process.env, REDIS_URL: redisUrl, DATA_DIR: dataDir } });
  children.add(child);
  const started = Date.now();
  child.on('exit', (code, signal) => {
    children.delete(child);
    if (stopping) return;
    const quick = Date.now() - started < 10_000;
    const next = quick ? restarts + 1 : 0;
    if (next > 5) {
      console.error(`[start] ${name} keeps exiting (${signal ?? code}); giving up`);
      return void stop(1);
    }
    console.error(`[start] ${name} exited (${signal ?? code}); restarting`);
    setTimeout(() => supervise(name, entry, next), Math.min(30_000, 500 * 2 ** next));
  });
}

function stop(code = 0): void {
  if (stopping) return;
  stopping = true;
  for (const child of children) child.kill('SIGTERM');
  setTimeout(() => process.exit(code), 12_000).unref();
  const check = setInterval(() => {
    if (children.size === 0) {
      clearInterval(check);
      process.exit(code);
    }
  }, 100);
  for (const child of children) child.on('exit', () => children.delete(child));
}

process.on('SIGINT', () => stop());
process.on('SIGTERM', () => stop());

await ensureRedis();
buildViewerIfMissing();
const workers = defaultWorkerCount();
supervise('api', 'server/main.ts');
for (let i = 0; i < workers; i++) supervise(`worker ${i + 1}`, 'worker/main.ts');
console.log(`[start] API on http://${process.env.HOST ?? '127.0.0.1'}:${process.env.PORT ?? 8080} with ${workers} worker processes`);
