import { join } from 'node:path';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { Type, type Static } from 'typebox';
import type { RedisKeys } from '../contract/index.ts';
import {
  ANALYSIS_QUEUE,
  hessianJobId,
  hessianKeys,
  resolveHessianRequest,
  subgridIndices,
  type HessianJobData,
  type HessianMapRequest,
  type HessianMapResult,
} from '../contract/metrics/hessian.ts';
import { HttpError } from './errors.ts';
import { readJsonOrNull, removeFile, writeAtomic } from './stores/files.ts';
import type { SurfaceService } from './surfaces.ts';

export const HessianPending = Type.Object({
  surfaceId: Type.String(),
  status: Type.Union([Type.Literal('queued'), Type.Literal('running'), Type.Literal('failed')]),
  progress: Type.Object({ done: Type.Integer(), total: Type.Integer() }),
  error: Type.Union([Type.String(), Type.Null()]),
});
export type HessianPending = Static<typeof HessianPending>;

export type HessianState = { status: 'completed'; result: HessianMapResult } | HessianPending;

/** A worker killed mid-map resumes from its last finished point, so a retry costs little. */
const JOB_OPTIONS = { attempts: 3, backoff: { type: 'exponential', delay: 5000 }, removeOnComplete: true, removeOnFail: { age: 86400 } } as const;

export interface HessianServiceOptions {
  /** Finished maps are copied here (<surfaceId>.json), so they outlive Redis. */
  dataDir: string;
  redis: Redis;
  keys: RedisKeys;
  namespace: string;
  surfaces: SurfaceService;
}

/**
 * Hessian maps of finished surfaces: queued on ANALYSIS_QUEUE with a deterministic job id (the
 * same surface and settings never run twice at once), computed by worker/jobs/hessian.ts into
 * Redis, and kept on disk once seen finished. One map per surface: a new request replaces it.
 */
export class HessianService {
  readonly queue: Queue<HessianJobData>;
  private readonly stored: ReturnType<typeof hessianKeys>;
  private readonly persisted = new Set<string>();

  constructor(private readonly o: HessianServiceOptions) {
    this.queue = new Queue(ANALYSIS_QUEUE, { connection: o.redis, prefix: o.keys.bullPrefix });
    this.stored = hessianKeys(o.namespace);
  }

  close(): Promise<void> {
    return this.queue.close();
  }

  private path(surfaceId: string): string {
    return join(this.o.dataDir, `${surfaceId}.json`);
  }

  /**
   * Queues a map with `body`'s settings (defaults filled in). While a job with the same settings
   * is queued or running, returns its progress instead of starting another.
   */
  async request(surfaceId: string, body: HessianMapRequest): Promise<HessianPending> {
    const record = await this.o.surfaces.get(surfaceId);
    if (record.status !== 'completed') {
      throw new HttpError(409, 'SURFACE_NOT_READY', `surface ${surfaceId} is ${record.status}; a Hessian map needs a completed surface`);
    }
    if (!this.o.surfaces.modelFormatIs(surfaceId, 'tfjs-layers')) {
      throw new HttpError(400, 'UNSUPPORTED_MODEL', 'Hessian maps need a tfjs Layers model (first-order tfjs gradients)', 'model');
    }
    const settings = resolveHessianRequest(body, record.provenance.dataset.samples);
    const jobId = hessianJobId(surfaceId, settings);
    const existing = await this.queue.getJob(jobId);
    if (existing && ['active', 'waiting', 'delayed', 'prioritized'].includes(await existing.getState())) {
      await this.o.redis.set(this.stored.job(surfaceId), jobId);
      return (await this.state(surfaceId)) as HessianPending;
    }
    await existing?.remove();
    await this.o.redis.del(this.stored.result(surfaceId));
    await removeFile(this.path(surfaceId));
    this.persisted.delete(surfaceId);
    await this.o.redis.set(this.stored.job(surfaceId), jobId);
    await this.queue.add('hessian-map', { surfaceId, request: settings }, { jobId, ...JOB_OPTIONS });
    return { surfaceId, status: 'queued', progress: { done: 0, total: await this.pointCount(surfaceId, settings.points) }, error: null };
  }

  /** Sub-grid points of a map with `points` per axis (subgridIndices: never more than the grid has). */
  private async pointCount(surfaceId: string, points: number): Promise<number> {
    const { request } = await this.o.surfaces.get(surfaceId);
    const axis = (num: number) => subgridIndices(num, points).length;
    return axis(request.grid.x.num) * (request.grid.y ? axis(request.grid.y.num) : 1);
  }

  /** The finished map (from Redis, else from disk), the latest job's progress, or null when none was requested. */
  async state(surfaceId: string): Promise<HessianState | null> {
    const raw = await this.o.redis.get(this.stored.result(surfaceId));
    if (raw) {
      const result = JSON.parse(raw) as HessianMapResult;
      if (!this.persisted.has(surfaceId)) {
        await writeAtomic(this.path(surfaceId), raw);
        this.persisted.add(surfaceId);
      }
      return { status: 'completed', result };
    }
    // A file on disk is the latest request's map: request() deletes it before queueing another.
    const stored = await readJsonOrNull<HessianMapResult>(this.path(surfaceId));
    if (stored) return { status: 'completed', result: stored };
    const jobId = await this.o.redis.get(this.stored.job(surfaceId));
    const job = jobId ? await this.queue.getJob(jobId) : undefined;
    // No job, or a finished one whose map is gone (Redis lost it): nothing to wait for.
    if (!job) return null;
    const state = await job.getState();
    if (state === 'completed') return null;
    const progress = typeof job.progress === 'object' && job.progress
      ? (job.progress as { done: number; total: number })
      : { done: 0, total: await this.pointCount(surfaceId, job.data.request.points) };
    return { surfaceId, status: state === 'failed' ? 'failed' : state === 'active' ? 'running' : 'queued', progress, error: job.failedReason ?? null };
  }

  /** A finished map shipped with the project (a fixture comparison's member). */
  async importFinished(result: HessianMapResult): Promise<void> {
    if (!(await readJsonOrNull(this.path(result.surfaceId)))) await writeAtomic(this.path(result.surfaceId), JSON.stringify(result));
  }
}
