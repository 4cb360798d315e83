import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { QUEUES } from '../../contract/index.ts';

/** A handle on every queue, on the API's Redis connection, closed with the app (for the dashboard and the metrics). */
export function queueHandles(app: FastifyInstance): Queue[] {
  const { redis, keys } = app.services;
  const queues = Object.values(QUEUES).map((name) => new Queue(name, { connection: redis, prefix: keys.bullPrefix }));
  app.addHook('onClose', async () => {
    await Promise.all(queues.map((queue) => queue.close()));
  });
  return queues;
}
