import { Redis } from 'ioredis';

/**
 * The API is a producer: it must fail fast when Redis is away (a clear 503) instead of
 * queueing commands forever, so no offline queue and one retry per request.
 */
export function connectProducer(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true });
}

/** What ioredis and BullMQ throw when the server cannot be reached, as opposed to a refused command. */
const UNREACHABLE_MESSAGES = ["Stream isn't writeable and enableOfflineQueue options is false", 'Connection is closed.'];
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND']);

/**
 * Whether an error means Redis is unreachable (so the API answers 503 REDIS_UNAVAILABLE rather
 * than 500): a connection error of ioredis or BullMQ, or any error while the producer connection
 * is down (a service that read nothing cannot tell the outage from a bug).
 */
export function isRedisUnavailable(err: unknown, producer: Redis): boolean {
  if (producer.status !== 'ready') return true;
  const { name, message, code } = (err ?? {}) as { name?: string; message?: string; code?: string };
  return name === 'MaxRetriesPerRequestError' || UNREACHABLE_MESSAGES.some((m) => message?.includes(m)) || (code !== undefined && UNREACHABLE_CODES.has(code));
}
