import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { QUEUES } from '../../contract/index.ts';
import { routesAccess } from './auth.ts';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';

/**
 * Bull Board over every queue at /admin/queues, admin keys only (every job's data names its
 * tenant's models and datasets). Its own Queue handles on the API's connection, closed with the app.
 */
export default async function queueDashboard(app: FastifyInstance): Promise<void> {
  routesAccess(app, 'admin');
  const { redis, keys } = app.services;
  const queues = Object.values(QUEUES).map((name) => new Queue(name, { connection: redis, prefix: keys.bullPrefix }));
  app.addHook('onClose', async () => {
    await Promise.all(queues.map((queue) => queue.close()));
  });
  const serverAdapter = new FastifyAdapter().setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({ queues: queues.map((queue) => new BullMQAdapter(queue)), serverAdapter, options: { uiConfig: { boardTitle: 'Loss Atlas queues' } } });
  await app.register(serverAdapter.registerPlugin(), { prefix: QUEUE_DASHBOARD_PATH });
}
