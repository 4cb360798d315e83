import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance } from 'fastify';
import { routesAccess } from './auth.ts';
import { queueHandles } from './queue-handles.ts';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';

/**
 * Bull Board over every queue at /admin/queues, admin keys only (every job's data names its
 * tenant's models and datasets).
 */
export default async function queueDashboard(app: FastifyInstance): Promise<void> {
  routesAccess(app, 'admin');
  const queues = queueHandles(app);
  const serverAdapter = new FastifyAdapter().setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({ queues: queues.map((queue) => new BullMQAdapter(queue)), serverAdapter, options: { uiConfig: { boardTitle: 'Loss Atlas queues' } } });
  await app.register(serverAdapter.registerPlugin(), { prefix: QUEUE_DASHBOARD_PATH });
}
