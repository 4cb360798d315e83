import type { Job, Worker } from 'bullmq';

/** What bounds a chunk's time: the floor, and the time allowed per unit of work. */
export interface ChunkTimeSettings {
  LA_CHUNK_TIME_FLOOR_MS: number;
  LA_CHUNK_TIME_PER_WORK_NS: number;
}

/**
 * How long one chunk may hold a worker: its work (parameters × samples × grid points, each
 * unit about one multiply-add of a forward pass for dense layers) at the configured allowance,
 * never below the floor. The allowance is generous on purpose: a limit exists to end a hung or
 * hostile job, not to judge a slow machine.
 */
export function chunkTimeLimitMs(settings: ChunkTimeSettings, work: { parameters: number; samples: number; points: number }): number {
  const derived = (work.parameters * work.samples * work.points * settings.LA_CHUNK_TIME_PER_WORK_NS) / 1e6;
  return Math.max(settings.LA_CHUNK_TIME_FLOOR_MS, Math.ceil(derived));
}

/**
 * BullMQ has no time limit for sandboxed jobs, and a child stuck in a synchronous loop never
 * reads a cancel message, so the parent kills it: the job fails (not retried) and the next job
 * gets a fresh sandbox. `limitOf` gives a job's limit; `onExceeded` records why it failed.
 */
export function enforceTimeLimits<T>(
  worker: Worker<T>,
  limitOf: (job: Job<T>) => Promise<number>,
  onExceeded: (job: Job<T>, limitMs: number) => Promise<void>,
  onError: (err: unknown, job: Job<T>) => void,
): void {
  const timers = new Map<string, NodeJS.Timeout>();
  const clear = (job: Job<T> | undefined) => {
    if (!job?.id) return;
    clearTimeout(timers.get(job.id));
    timers.delete(job.id);
  };
  worker.on('active', (job) => {
    void limitOf(job)
      .then((limitMs) => {
        if (!job.id || job.finishedOn) return;
        timers.set(
          job.id,
          setTimeout(() => {
            timers.delete(job.id!);
            // Not retried: the same work would hit the same limit (BullMQ 6 has no Job.discard;
            // the failing attempt reads `attempts` from this very instance).
            job.opts.attempts = job.attemptsMade + 1;
            void onExceeded(job, limitMs)
              .catch((err: unknown) => onError(err, job))
              .finally(() => killSandbox(worker));
          }, limitMs),
        );
      })
      .catch((err: unknown) => onError(err, job));
  });
  worker.on('completed', clear);
  worker.on('failed', clear);
}

/** BullMQ keeps its sandbox children private; with concurrency 1 the one retained child runs the job. */
function killSandbox(worker: Worker): void {
  const pool = (worker as unknown as { childPool?: { retained: Record<number, { kill(signal: NodeJS.Signals): Promise<void> }> } }).childPool;
  for (const child of Object.values(pool?.retained ?? {})) void child.kill('SIGKILL');
}
