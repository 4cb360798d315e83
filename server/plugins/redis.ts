import { Redis } from 'ioredis';

/**
 * The API is a producer: it must fail fast when Redis is away (a clear 503) instead of
 * queueing commands forever, so no offline queue and one retry per request.
 */
export function connectProducer(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true });
}
