import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { Type, type Static } from 'typebox';
import { JOB_OPTIONS, QUEUES, requestAxes, storedValues, type RedisKeys } from '../../contract/index.ts';
import {
  resolveSpectrumRequest,
  spectrumJobId,
  spectrumKeys,
  type ResolvedSpectrumRequest,
  type SpectrumJobData,
  type SpectrumRequest,
  type SpectrumResult,
} from '../../contract/metrics/spectrum.ts';
import { HttpError } from '../errors.ts';
import { readJsonOrNull, writeAtomic } from '../stores/files.ts';
import type { SurfaceService } from './surfaces.ts';
import type { Principal } from '../tenancy.ts';

export const SpectrumPending = Type.Object({
  id: Type.String({ description: 'The spectrum\'s id (GET /api/v1/surfaces/{id}/spectrum/{spectrumId}); the same surface, point and settings always get the same id' }),
  surfaceId: Type.String(),
  status: Type.Union([Type.Literal('queued'), Type.Literal('running'), Type.Literal('failed')]),
  progress: Type.Object({
    done: Type.Integer({ description: 'Hessian-vector products done' }),
    total: Type.Integer({ description: 'Products planned: maxSteps + traceSamples + densitySteps·densityVectors (the top-k run may need fewer)' }),
  }),
  error: Type.Union([Type.String(), Type.Null()]),
});
export type SpectrumPending = Static<typeof SpectrumPending>;
export type SpectrumState = { status: 'completed'; result: SpectrumResult } | SpectrumPending;

export interface SpectrumServiceOptions {
  /** Finished spectra are copied here (<spectrumId>.json), so they outlive Redis. */
  dataDir: string;
  redis: Redis;
  keys: RedisKeys;
  namespace: string;
  surfaces: SurfaceService;
}

function plannedProducts(r: ResolvedSpectrumRequest): number {
  return r.maxSteps + r.traceSamples + r.densitySteps * r.densityVectors;
}

/**
 * Hessian spectra at points of finished surfaces (PyHessian's top-k eigenvalues, trace and
 * density): queued on QUEUES.analysis with a deterministic job id (surface, point and settings),
 * computed by worker/jobs/hessian.ts into Redis, copied to disk when their job completes. Every
 * point and settings keep their own spectrum; the surface remembers the latest requested.
 */
export class SpectrumService {
  readonly queue: Queue<SpectrumJobData>;
  private events?: QueueEvents;
  private readonly stored: ReturnType<typeof spectrumKeys>;

  constructor(private readonly o: SpectrumServiceOptions) {
    this.queue = new Queue(QUEUES.analysis, { connection: o.redis, prefix: o.keys.bullPrefix });
    this.stored = spectrumKeys(o.namespace);
  }

  /** Copies each spectrum to disk when its job completes. */
  async start(): Promise<void> {
    this.events = new QueueEvents(QUEUES.analysis, { connection: this.o.redis.duplicate({ maxRetriesPerRequest: null }), prefix: this.o.keys.bullPrefix });
    this.events.on('completed', ({ jobId }) => {
      if (jobId.startsWith('spectrum-')) void this.persist(jobId).catch(() => undefined);
    });
    await this.events.waitUntilReady();
  }

  async close(): Promise<void> {
    await this.events?.close();
    await this.queue.close();
  }

  private async persist(spectrumId: string): Promise<void> {
    const raw = await this.o.redis.get(this.stored.result(spectrumId));
    if (raw) await writeAtomic(this.path(spectrumId), raw);
  }

  private path(spectrumId: string): string {
    return join(this.o.dataDir, `${spectrumId}.json`);
  }

  /**
   * Queues a spectrum (defaults filled in) unless the same one is stored, queued or running:
   * 4xx naming the field for a point outside the grid, 409 for an unfinished surface.
   */
  async request(surfaceId: string, body: SpectrumRequest, viewer: Principal): Promise<SpectrumState> {
    const record = await this.o.surfaces.get(surfaceId, viewer);
    if (record.status !== 'completed') {
      throw new HttpError(409, 'SURFACE_NOT_READY', `surface ${surfaceId} is ${record.status}; a spectrum needs a completed surface`);
    }
    // The worker rebuilds the point from the surface's plan in Redis; an imported surface (a file, a demo fixture) has none.
    if (!(await this.o.redis.hexists(this.o.keys.surface(surfaceId), 'plan'))) {
      throw new HttpError(409, 'SURFACE_NOT_COMPUTED_HERE', `surface ${surfaceId} was not computed on this server (imported, or a committed demo): its spectra are the ones stored with it`);
    }
    if (!this.o.surfaces.modelFormat(surfaceId)?.capabilities.gradients) {
      throw new HttpError(400, 'UNSUPPORTED_MODEL', `the model's format (${this.o.surfaces.modelFormat(surfaceId)?.id ?? 'unknown'}) has no gradients`, 'model');
    }
    const grid = requestAxes(record.request);
    if (body.point) {
      if (body.point.ix >= grid.x.num) throw new HttpError(400, 'VALIDATION_FAILED', `point.ix is ${body.point.ix}, the surface has ${grid.x.num} columns`, 'point.ix');
      const rows = grid.y?.num ?? 1;
      if ((body.point.iy ?? 0) >= rows) throw new HttpError(400, 'VALIDATION_FAILED', `point.iy is ${body.point.iy}, the surface has ${rows} row(s)`, 'point.iy');
    }
    const settings = resolveSpectrumRequest(body, record.provenance.dataset.samples);
    const id = spectrumJobId(surfaceId, settings);
    await this.o.redis.set(this.stored.latest(surfaceId), id);
    const current = await this.state(surfaceId, id);
    if (current && current.status !== 'failed') return current;
    await (await this.queue.getJob(id))?.remove();
    await this.queue.add('spectrum', { surfaceId, request: settings }, { jobId: id, ...JOB_OPTIONS.spectrum });
    return { id, surfaceId, status: 'queued', progress: { done: 0, total: plannedProducts(settings) }, error: null };
  }

  /**
   * A finished spectrum shipped with the project (a fixture comparison's member): stored under the
   * id its settings give, and the surface's latest unless one was requested since.
   */
  async importFinished(result: SpectrumResult): Promise<void> {
    const { samples, parameters, seed, topK, tolerance, maxSteps, traceSamples, densitySteps, densityVectors, bins } = result.settings;
    const point = result.point.ix === null ? null : { ix: result.point.ix, iy: result.point.iy ?? 0 };
    const id = spectrumJobId(result.surfaceId, { point, samples, parameters, seed, topK, tolerance, maxSteps, traceSamples, densitySteps, densityVectors, bins });
    if (!(await readJsonOrNull(this.path(id)))) await writeAtomic(this.path(id), JSON.stringify(result));
    await this.o.redis.set(this.stored.latest(result.surfaceId), id, 'NX');
  }

  /**
   * Every spectrum of the surface, the latest requested first: the finished ones on disk and the
   * latest one whatever its state (it may be queued, running, failed or not yet copied to disk).
   */
  async list(surfaceId: string): Promise<{ id: string; state: SpectrumState }[]> {
    const prefix = `spectrum-${surfaceId}-`;
    const onDisk = (await readdir(this.o.dataDir).catch(() => [] as string[]))
      .filter((file) => file.startsWith(prefix) && file.endsWith('.json'))
      .map((file) => file.slice(0, -'.json'.length));
    const latest = await this.latest(surfaceId);
    const ids = latest ? [latest, ...onDisk.filter((id) => id !== latest)] : onDisk;
    const states = await Promise.all(ids.map(async (id) => ({ id, state: await this.state(surfaceId, id) })));
    return states.filter((entry): entry is { id: string; state: SpectrumState } => entry.state !== null);
  }

  /** The surface's latest requested spectrum id, or null. */
  latest(surfaceId: string): Promise<string | null> {
    return this.o.redis.get(this.stored.latest(surfaceId));
  }

  /** A spectrum of the surface: finished (Redis, else disk), its job's progress or failure, or null when never requested. */
  async state(surfaceId: string, spectrumId: string): Promise<SpectrumState | null> {
    if (!spectrumId.startsWith(`spectrum-${surfaceId}-`)) return null;
    const completed = await this.completedInRedis(spectrumId);
    if (completed) return completed;
    const stored = await readJsonOrNull<SpectrumResult>(this.path(spectrumId));
    if (stored) return { status: 'completed', result: stored };
    // The state before the job's hash: a job read first could fail in between, and be reported
    // failed with the hash's empty failure reason (BullMQ moves a job and records why in one step).
    const state = await this.queue.getJobState(spectrumId);
    // A job that completed since the first look (removed by removeOnComplete, or not yet) has its
    // result in Redis now: the worker stores it before completing (unless Redis lost it).
    if (state === 'completed' || state === 'unknown') return this.completedInRedis(spectrumId);
    const job = await this.queue.getJob(spectrumId);
    if (!job) return this.completedInRedis(spectrumId);
    const progress = typeof job.progress === 'object' && job.progress
      ? storedValues.jobProgress.check(job.progress, `the progress of job ${spectrumId}`)
      : { done: 0, total: plannedProducts(job.data.request) };
    return { id: spectrumId, surfaceId, status: state === 'failed' ? 'failed' : state === 'active' ? 'running' : 'queued', progress, error: job.failedReason ?? null };
  }

  private async completedInRedis(spectrumId: string): Promise<SpectrumState | null> {
    const raw = await this.o.redis.get(this.stored.result(spectrumId));
    const result = storedValues.spectrum.readOrNull(raw, this.stored.result(spectrumId));
    return result ? { status: 'completed', result } : null;
  }
}
