import { cpus } from 'node:os';
import envSchema from 'env-schema';
import { Type, type Static } from 'typebox';

/** Environment of a worker process (and its sandboxed job processes), validated at start like the API's (server/config.ts). */
export const WorkerConfigSchema = Type.Object({
  REDIS_URL: Type.String({ default: 'redis://127.0.0.1:6379' }),
  LA_NAMESPACE: Type.String({ default: 'la', pattern: '^[A-Za-z0-9_-]+$', description: 'Prefix of every Redis key and queue (must match the API’s)' }),
  LOG_LEVEL: Type.String({ default: 'info', description: 'pino level of the worker’s JSON log lines (silent for none)' }),
  LA_LOCK_MS: Type.Integer({ default: 30_000, minimum: 1, description: 'How long a job’s lock lasts without renewal; a killed worker’s job is retried after it' }),
  LA_STALLED_MS: Type.Integer({ default: 15_000, minimum: 1, description: 'How often stalled (lock-expired) jobs are looked for' }),
  LA_CHUNK_TIME_FLOOR_MS: Type.Integer({ default: 120_000, minimum: 1, description: 'Least time a chunk may run before its sandbox is killed and the surface fails' }),
  LA_CHUNK_TIME_PER_WORK_NS: Type.Number({
    default: 1000,
    minimum: 0,
    description: 'Time a chunk may take per parameter × sample × grid point, in ns, above the floor (worker/jobs/time-limit.ts)',
  }),
  LA_WORKERS: Type.Optional(Type.Integer({ minimum: 1, description: 'Worker processes `npm start` runs; default one per core' })),
  LA_HESSIAN_HELPERS: Type.Optional(Type.Integer({
    minimum: 0,
    description: 'Helper jobs a Hessian map queues so that idle workers compute its points too; default one fewer than the worker processes (LA_WORKERS, else cores); 0: one worker per map',
  })),
  LA_ONNX_THREADS: Type.Integer({ default: 1, minimum: 1, description: 'onnxruntime intra-op threads per session (one worker process per core instead)' }),
  LA_HVP_CACHE_MB: Type.Integer({
    default: 1024,
    minimum: 0,
    description: 'MB a Hessian job may keep of the values its products share at one point (worker/autodiff: W1 needs 7.6 MB per sample); past it each product recomputes them; 0: never kept',
  }),
  LA_ONNX_PARAMETER_FEED: Type.Union([Type.Literal('auto'), Type.Literal('initializers'), Type.Literal('inputs')], {
    default: 'auto',
    description: 'How the ONNX engine feeds each point’s parameters (worker/engine/onnx/evaluator.ts)',
  }),
  LA_TFJS_BACKEND: Type.String({ default: 'auto', description: 'tfjs backend: auto (node, else wasm, else cpu) | node | wasm | cpu; a forced one that cannot load fails loudly' }),
});
export type WorkerConfig = Static<typeof WorkerConfigSchema>;

export function workerConfig(env: Record<string, string | undefined> = process.env): WorkerConfig {
  return envSchema<WorkerConfig>({ schema: WorkerConfigSchema as object, data: env, dotenv: false });
}

/** Worker processes for `npm start`: LA_WORKERS, default one per core. */
export function defaultWorkerCount(config: WorkerConfig = workerConfig()): number {
  return config.LA_WORKERS ?? cpus().length;
}

/** Helper jobs per Hessian map: LA_HESSIAN_HELPERS, default every other worker process of `npm start`. */
export function hessianHelperCount(config: WorkerConfig = workerConfig()): number {
  return config.LA_HESSIAN_HELPERS ?? defaultWorkerCount(config) - 1;
}

/** A Redis URL fit for a log line: its password replaced by ***. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.password) return url;
    parsed.password = '***';
    return parsed.toString();
  } catch {
    return '[unparseable url]';
  }
}
