import { join } from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { Type, type Static } from 'typebox';
import { JOB_OPTIONS, QUEUES, requestAxes, storedValues, type RedisKeys } from '../../contract/index.ts';
import {
  hessianJobId,
  hessianKeys,
  resolveHessianRequest,
  subgridIndices,
  type HessianJobData,
  type HessianMapRequest,
  type HessianMapResult,
} from '../../contract/metrics/hessian.ts';
import { HttpError } from '../errors.ts';
import { readJsonOrNull, removeFile, writeAtomic } from '../stores/files.ts';
import type { SurfaceService } from './surfaces.ts';
import { SYSTEM_PRINCIPAL, type Principal } from '../tenancy.ts';
import { Waiters } from './waiters.ts';

export const HessianPending = Type.Object({
  surfaceId: Type.String(),
  status: Type.Union([Type.Literal('queued'), Type.Literal('running'), Type.Literal('failed')]),
  progress: Type.Object({ done: Type.Integer(), total: Type.Integer() }),
  error: Type.Union([Type.String(), Type.Null()]),
});
export type HessianPending = Static<typeof HessianPending>;

export type HessianState = { status: 'completed'; result: HessianMapResult } | HessianPending;
export type HessianProgress = HessianPending['progress'];

export interface HessianServiceOptions {
  /** Finished maps are copied here (<surfaceId>.json), so they outlive Redis. */
  dataDir: string;
  redis: Redis;
  keys: RedisKeys;
  namespace: string;
  surfaces: SurfaceService;
}

/**
 * Hessian maps of finished surfaces: queued on QUEUES.analysis with a deterministic job id (the
 * same surface and settings never run twice at once), computed by worker/jobs/hessian.ts into
 * Redis, and copied to disk when their job completes (a QueueEvents handler) or, for maps that
 * finished while the API was down, at start. One map per surface: a new request replaces it.
 */
export class HessianMapService {
  readonly queue: Queue<HessianJobData>;
  private events?: QueueEvents;
  private readonly stored: ReturnType<typeof hessianKeys>;
  /** Keyed by job id: a map's settings are in its job id, so a waiter never sees another request's end. */
  private readonly finals = new Waiters<HessianState | null>();
  private readonly progressListeners = new Map<string, Set<(progress: HessianProgress) => void>>();
  /** Maps already copied to disk by this process. */
  private readonly persisted = new Set<string>();

  constructor(private readonly o: HessianServiceOptions) {
    this.queue = new Queue(QUEUES.analysis, { connection: o.redis, prefix: o.keys.bullPrefix });
    this.stored = hessianKeys(o.namespace);
  }

  /** Listen for finished maps, then copy to disk those that finished while the API was down. */
  async start(surfaceIds: string[]): Promise<void> {
    this.events = new QueueEvents(QUEUES.analysis, { connection: this.o.redis.duplicate({ maxRetriesPerRequest: null }), prefix: this.o.keys.bullPrefix });
    this.events.on('completed', ({ jobId, returnvalue }) => {
      if (!jobId.startsWith('hessian-')) return;
      const settle = async () => {
        const where = `the return value of job ${jobId}`;
        const result = typeof returnvalue === 'string' ? storedValues.hessianMap.read(returnvalue, where) : storedValues.hessianMap.check(returnvalue, where);
        await this.persist(result.surfaceId);
        this.finals.resolve(jobId, { status: 'completed', result });
      };
      void settle().catch((err: Error) => this.finals.reject(jobId, err));
    });
    this.events.on('failed', ({ jobId }) => {
      if (!jobId.startsWith('hessian-')) return;
      // null: the job is gone, so there is nothing left to wait for.
      void this.jobState(jobId)
        .then((state) => (state === null || state.status === 'failed') && this.finals.resolve(jobId, state))
        .catch((err: Error) => this.finals.reject(jobId, err));
    });
    this.events.on('progress', ({ jobId, data }) => {
      const listeners = this.progressListeners.get(jobId);
      if (!listeners?.size) return;
      let progress: HessianProgress;
      try {
        progress = storedValues.jobProgress.check(data, `the progress of job ${jobId}`);
      } catch {
        // Progress only informs: a malformed report is skipped, the map's end still settles the wait.
        return;
      }
      for (const listener of listeners) listener(progress);
    });
    await this.events.waitUntilReady();
    for (const surfaceId of surfaceIds) await this.persist(surfaceId);
  }

  async close(): Promise<void> {
    await this.events?.close();
    await this.queue.close();
  }

  /** Copies the surface's map from Redis to disk, if Redis has one. */
  private async persist(surfaceId: string): Promise<void> {
    const raw = await this.o.redis.get(this.stored.result(surfaceId));
    if (raw) await this.keep(surfaceId, raw);
  }

  /**
   * Copies a map read from Redis to disk, then reads Redis again: a copy is kept only once Redis
   * still holds what was written. A request() that deleted the map between the read and the write
   * (for any settings, the same ones included) or a newer map stored meanwhile is seen there: the
   * copy is taken back, or replaced by the newer map, so a late copy of an old map is never served
   * as a newer request's. Returns the map kept, or null when Redis no longer has one.
   */
  private async keep(surfaceId: string, raw: string): Promise<HessianMapResult | null> {
    for (let written = raw; ;) {
      const map = storedValues.hessianMap.read(written, this.stored.result(surfaceId));
      await writeAtomic(this.path(surfaceId), written);
      const now = await this.o.redis.get(this.stored.result(surfaceId));
      if (now === written) {
        this.persisted.add(surfaceId);
        return map;
      }
      if (now === null) {
        await removeFile(this.path(surfaceId));
        return null;
      }
      written = now;
    }
  }

  private path(surfaceId: string): string {
    return join(this.o.dataDir, `${surfaceId}.json`);
  }

  /**
   * Queues a map with `body`'s settings (defaults filled in). While a job with the same settings
   * is queued or running, returns its progress instead of starting another. The map replaces the
   * stored one, so only the surface's owner (or an admin) may ask; a public demo's map is a 403.
   */
  async request(surfaceId: string, body: HessianMapRequest, viewer: Principal): Promise<HessianPending> {
    await this.o.surfaces.assertWritable(surfaceId, viewer);
    const record = await this.o.surfaces.get(surfaceId, viewer);
    if (record.status !== 'completed') {
      throw new HttpError(409, 'SURFACE_NOT_READY', `surface ${surfaceId} is ${record.status}; a Hessian map needs a completed surface`);
    }
    if (!this.o.surfaces.modelFormat(surfaceId)?.capabilities.gradients) {
      throw new HttpError(400, 'UNSUPPORTED_MODEL', `the model's format (${this.o.surfaces.modelFormat(surfaceId)?.id ?? 'unknown'}) has no gradients`, 'model');
    }
    const settings = resolveHessianRequest(body, record.provenance.dataset.samples);
    const jobId = hessianJobId(surfaceId, settings);
    // The surface's job is named first: from here on, a run of other settings stores no map
    // (worker/hessian-map-state.ts), so none can land after the deletion below.
    await this.o.redis.set(this.stored.job(surfaceId), jobId);
    const existing = await this.queue.getJob(jobId);
    if (existing && ['active', 'waiting', 'delayed', 'prioritized'].includes(await existing.getState())) {
      const current = await this.state(surfaceId);
      // The worker stores the map a moment before its job completes: a request in between joins
      // the finishing job (which still holds its lock, so it can be neither removed nor re-added).
      if (current?.status === 'completed') {
        const total = current.result.points.length;
        return { surfaceId, status: 'running', progress: { done: total, total }, error: null };
      }
      // null: the job ended without a map since the first look, so a new one is queued below.
      if (current) return current;
    }
    // Not Job.remove: that throws when the job has vanished since getJob.
    if (existing) await this.queue.remove(jobId);
    await this.o.redis.del(this.stored.result(surfaceId));
    await removeFile(this.path(surfaceId));
    this.persisted.delete(surfaceId);
    await this.queue.add('hessian-map', { surfaceId, request: settings }, { jobId, ...JOB_OPTIONS.hessianMap });
    return { surfaceId, status: 'queued', progress: { done: 0, total: await this.pointCount(surfaceId, settings.points) }, error: null };
  }

  /** Sub-grid points of a map with `points` per axis (subgridIndices: never more than the grid has). */
  private async pointCount(surfaceId: string, points: number): Promise<number> {
    const grid = requestAxes((await this.o.surfaces.get(surfaceId, SYSTEM_PRINCIPAL)).request);
    const axis = (num: number) => subgridIndices(num, points).length;
    return axis(grid.x.num) * (grid.y ? axis(grid.y.num) : 1);
  }

  /** The finished map (from Redis, else from disk), the latest job's progress, or null when none was requested. */
  async state(surfaceId: string): Promise<HessianState | null> {
    const completed = await this.completedInRedis(surfaceId);
    if (completed) return completed;
    // A file on disk is the latest request's map: request() deletes it before queueing another.
    const stored = await readJsonOrNull<HessianMapResult>(this.path(surfaceId));
    if (stored) return { status: 'completed', result: stored };
    const jobId = await this.o.redis.get(this.stored.job(surfaceId));
    if (!jobId) return null;
    // A job that completed since the first look has its map in Redis now (unless Redis lost it).
    return (await this.jobState(jobId)) ?? (await this.completedInRedis(surfaceId));
  }

  private async completedInRedis(surfaceId: string): Promise<HessianState | null> {
    const raw = await this.o.redis.get(this.stored.result(surfaceId));
    if (!raw) return null;
    // A map is served once it is on disk: the worker writes it to Redis a moment before its job's completion is seen.
    const map = this.persisted.has(surfaceId) ? storedValues.hessianMap.read(raw, this.stored.result(surfaceId)) : await this.keep(surfaceId, raw);
    return map ? { status: 'completed', result: map } : null;
  }

  /**
   * The surface's latest map once it is completed or failed (null when its job is gone: nothing
   * to wait for), calling onProgress with each finished point's progress meanwhile.
   */
  async whenFinal(surfaceId: string, onProgress?: (progress: HessianProgress) => void): Promise<HessianState | null> {
    const jobId = await this.o.redis.get(this.stored.job(surfaceId));
    if (!jobId) return this.state(surfaceId);
    const listeners = this.progressListeners.get(jobId) ?? new Set();
    if (onProgress) listeners.add(onProgress);
    this.progressListeners.set(jobId, listeners);
    try {
      return await this.finals.wait(jobId, async () => {
        const current = await this.state(surfaceId);
        return current === null || current.status === 'completed' || current.status === 'failed' ? current : null;
      });
    } finally {
      if (onProgress) listeners.delete(onProgress);
      if (listeners.size === 0) this.progressListeners.delete(jobId);
    }
  }

  /** A map job's progress or failure; null when the job is gone or finished without a map (Redis lost it). */
  private async jobState(jobId: string): Promise<HessianPending | null> {
    // The state before the job's hash: a job read first could fail in between, and be reported
    // failed with the hash's empty failure reason (BullMQ moves a job and records why in one step).
    const state = await this.queue.getJobState(jobId);
    if (state === 'completed' || state === 'unknown') return null;
    const job = await this.queue.getJob(jobId);
    if (!job) return null;
    const surfaceId = job.data.surfaceId;
    const progress = typeof job.progress === 'object' && job.progress
      ? storedValues.jobProgress.check(job.progress, `the progress of job ${jobId}`)
      : { done: 0, total: await this.pointCount(surfaceId, job.data.request.points) };
    return { surfaceId, status: state === 'failed' ? 'failed' : state === 'active' ? 'running' : 'queued', progress, error: job.failedReason ?? null };
  }

  /** A finished map shipped with the project (a fixture comparison's member). */
  async importFinished(result: HessianMapResult): Promise<void> {
    if (!(await readJsonOrNull(this.path(result.surfaceId)))) await writeAtomic(this.path(result.surfaceId), JSON.stringify(result));
  }
}
