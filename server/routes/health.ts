import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { EngineInfo, type WorkerHeartbeat } from '../../contract/index.ts';
import { VERSION } from '../version.ts';

const Health = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
  redis: Type.Union([Type.Literal('up'), Type.Literal('down')]),
  workers: Type.Integer({ description: 'Live worker processes (heartbeats in Redis)' }),
  engines: Type.Array(EngineInfo, { description: 'Engines and backends the live workers evaluate with' }),
  version: Type.String(),
});

const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/health', { schema: { tags: ['system'], summary: 'Liveness, Redis, workers and their engine backends', response: { 200: Health } } }, async () => {
    const { redis, keys } = app.services;
    try {
      const ids = await redis.keys(keys.workersPattern);
      const beats = ids.length ? (await redis.mget(ids)).filter((v): v is string => v !== null).map((v) => JSON.parse(v) as WorkerHeartbeat) : [];
      const engines = new Map(beats.flatMap((b) => b.engines).map((e) => [`${e.name}/${e.backend}/${e.version}`, e]));
      return { status: beats.length > 0 ? ('ok' as const) : ('degraded' as const), redis: 'up' as const, workers: beats.length, engines: [...engines.values()], version: VERSION };
    } catch {
      return { status: 'degraded' as const, redis: 'down' as const, workers: 0, engines: [], version: VERSION };
    }
  });
};

export default healthRoutes;
