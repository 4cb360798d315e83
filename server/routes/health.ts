import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { EngineInfo } from '../../contract/index.ts';
import { liveWorkers } from '../services/workers.ts';
import { VERSION } from '../version.ts';

const Health = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
  redis: Type.Union([Type.Literal('up'), Type.Literal('down')]),
  workers: Type.Integer({ description: 'Live worker processes (heartbeats in Redis)' }),
  engines: Type.Array(EngineInfo, { description: 'Engines and backends the live workers evaluate with' }),
  version: Type.String(),
});

const Ready = Type.Object({
  ready: Type.Boolean(),
  redis: Type.Union([Type.Literal('up'), Type.Literal('down')]),
  workers: Type.Integer(),
});

const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/health', { config: { access: 'public', rateLimit: false }, schema: { tags: ['system'], summary: 'Liveness, Redis, workers and their engine backends', response: { 200: Health } } }, async () => {
    try {
      const beats = await liveWorkers(app.services);
      const engines = new Map(beats.flatMap((b) => b.engines).map((e) => [`${e.name}/${e.backend}/${e.version}`, e]));
      return { status: beats.length > 0 ? ('ok' as const) : ('degraded' as const), redis: 'up' as const, workers: beats.length, engines: [...engines.values()], version: VERSION };
    } catch {
      return { status: 'degraded' as const, redis: 'down' as const, workers: 0, engines: [], version: VERSION };
    }
  });

  app.get(
    '/ready',
    { config: { access: 'public', rateLimit: false }, schema: { tags: ['system'], summary: 'Readiness: 200 once Redis answers and at least one worker beats, else 503', response: { 200: Ready, 503: Ready } } },
    async (_request, reply) => {
      let workers = 0;
      let redis: 'up' | 'down' = 'up';
      try {
        workers = (await liveWorkers(app.services)).length;
      } catch {
        redis = 'down';
      }
      const ready = redis === 'up' && workers > 0;
      return reply.status(ready ? 200 : 503).send({ ready, redis, workers });
    },
  );
};

export default healthRoutes;
