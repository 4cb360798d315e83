import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import type { AppConfig } from '../config.ts';
import { HttpError } from '../errors.ts';

/**
 * Requests per tenant (per client address where no key was sent: public routes), counted in
 * Redis so every API process shares one count. Only with keys: without them the service is one
 * local user on loopback. Where Redis cannot count, requests pass (the routes then answer 503).
 */
async function rateLimits(app: FastifyInstance, { config, redis, keyed }: { config: AppConfig; redis: Redis; keyed: boolean }): Promise<void> {
  if (!keyed) return;
  await app.register(rateLimit, {
    max: config.LA_RATE_LIMIT_MAX,
    timeWindow: config.LA_RATE_LIMIT_WINDOW_MS,
    // After the key is checked (onRequest), before a body is read.
    hook: 'preParsing',
    redis,
    nameSpace: `${config.LA_NAMESPACE}:rate-limit:`,
    skipOnError: true,
    keyGenerator: (request) => (request.principal ? `tenant:${request.principal.tenant}` : `ip:${request.ip}`),
    errorResponseBuilder: (_request, context) =>
      new HttpError(429, 'RATE_LIMITED', `more than ${context.max} requests per ${context.after} window (LA_RATE_LIMIT_MAX); retry in ${context.after}`, 'authorization'),
  });
}

export default fp(rateLimits, { name: 'rate-limits', fastify: '5.x' });
