import { cpus } from 'node:os';

/** Worker settings from the environment, with their defaults. */
export interface WorkerConfig {
  /** REDIS_URL, default redis://127.0.0.1:6379 */
  redisUrl: string;
  /** LA_NAMESPACE, default 'la' (must match the API's) */
  namespace: string;
  /** LA_LOCK_MS: how long a chunk's lock lasts without renewal, default 30000; a killed worker's chunk is retried after it. */
  lockMs: number;
  /** LA_STALLED_MS: how often stalled (lock-expired) chunks are looked for, default 15000. */
  stalledMs: number;
}

export function workerConfig(env: Record<string, string | undefined> = process.env): WorkerConfig {
  const int = (name: string, fallback: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got "${raw}"`);
    return value;
  };
  const namespace = env.LA_NAMESPACE ?? 'la';
  if (!/^[A-Za-z0-9_-]+$/.test(namespace)) throw new Error(`LA_NAMESPACE "${namespace}" may hold only letters, digits, _ and -`);
  return {
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    namespace,
    lockMs: int('LA_LOCK_MS', 30_000),
    stalledMs: int('LA_STALLED_MS', 15_000),
  };
}

/** LA_WORKERS for `npm start`: worker processes, default one per core. */
export function defaultWorkerCount(env: Record<string, string | undefined> = process.env): number {
  const raw = env.LA_WORKERS;
  return raw ? Math.max(1, Number.parseInt(raw, 10) || 1) : cpus().length;
}
