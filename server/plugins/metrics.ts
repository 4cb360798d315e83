import { QueueEvents, type Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { chunkJob, QUEUES, type ChunkJobData } from '../../contract/index.ts';
import { liveWorkers } from '../services/workers.ts';
import { queueHandles } from './queue-handles.ts';

/**
 * Prometheus metrics at /metrics (admin keys only when keys are configured): HTTP latency per
 * route, jobs per queue and state, job durations, grid points evaluated (rate() of the counter
 * is points per second), live workers, and Node's defaults (event-loop lag among them). One
 * registry per app, so several apps in one process (the tests) do not collide.
 */
async function metrics(app: FastifyInstance): Promise<void> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const httpDuration = new Histogram({
    name: 'la_http_request_duration_seconds',
    help: 'Time from request to response, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  app.addHook('onResponse', async (request, reply) => {
    httpDuration.observe({ method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });

  const queues = queueHandles(app);
  new Gauge({
    name: 'la_queue_jobs',
    help: 'Jobs per queue and state (BullMQ getJobCounts)',
    labelNames: ['queue', 'state'],
    registers,
    async collect() {
      this.reset();
      // While Redis is away the scrape still answers, without these values.
      const counts = await Promise.all(queues.map((queue) => queue.getJobCounts())).catch(() => []);
      counts.forEach((byState, i) => {
        for (const [state, count] of Object.entries(byState)) this.set({ queue: queues[i]!.name, state }, count);
      });
    },
  });
  new Gauge({
    name: 'la_workers_live',
    help: 'Worker processes whose heartbeat is in Redis',
    registers,
    async collect() {
      this.reset();
      const beats = await liveWorkers(app.services).catch(() => null);
      if (beats) this.set(beats.length);
    },
  });
  const jobDuration = new Histogram({
    name: 'la_job_duration_seconds',
    help: 'Time from a worker taking a job to its end, by queue and outcome (jobs removed at completion are not seen)',
    labelNames: ['queue', 'outcome'],
    buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 14_400],
    registers,
  });
  const points = new Counter({ name: 'la_points_evaluated_total', help: 'Grid points of finished chunks (rate() is points per second)', registers });

  const listeners = queues.map((queue) => watchEndings(app, queue, (outcome, job) => {
    if (job.processedOn && job.finishedOn) jobDuration.observe({ queue: queue.name, outcome }, (job.finishedOn - job.processedOn) / 1000);
    // A preview pass (request.progressive.previewSamples) evaluates no grid point of the result.
    if (queue.name === QUEUES.chunks && outcome === 'completed') {
      const chunk = chunkJob(job.data as ChunkJobData);
      if (chunk.previewSamples === null) points.inc(chunk.ix.length);
    }
  }));
  app.addHook('onClose', async () => {
    await Promise.all(listeners.map((events) => events.close()));
  });

  app.get(
    '/metrics',
    { config: { access: 'admin', rateLimit: false }, schema: { tags: ['system'], summary: 'Prometheus metrics (admin keys only when keys are configured)' } },
    async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()),
  );
}

type JobTimes = { processedOn?: number; finishedOn?: number; data: unknown };

/** Calls `onEnd` with each job of the queue that completes or fails (fetched for its timestamps). */
function watchEndings(app: FastifyInstance, queue: Queue, onEnd: (outcome: 'completed' | 'failed', job: JobTimes) => void): QueueEvents {
  const events = new QueueEvents(queue.name, { connection: app.services.redis.duplicate({ maxRetriesPerRequest: null }), prefix: app.services.keys.bullPrefix });
  const ended = (outcome: 'completed' | 'failed', jobId: string) => void queue.getJob(jobId).then((job) => job && onEnd(outcome, job), () => undefined);
  events.on('completed', ({ jobId }) => ended('completed', jobId));
  events.on('failed', ({ jobId }) => ended('failed', jobId));
  return events;
}

export default fp(metrics, { name: 'metrics', fastify: '5.x' });
