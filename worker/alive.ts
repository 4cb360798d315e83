import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import { redisKeys } from '../contract/index.ts';
import { workerConfig } from './config.ts';

/**
 * Liveness of the worker processes on this host (the container's healthcheck): exit 0 when one
 * of them has an unexpired heartbeat in the registry (scored by expiry), 1 otherwise. A worker
 * whose event loop or Redis link is stuck stops beating and so turns unhealthy.
 */
const config = workerConfig();
const keys = redisKeys(config.LA_NAMESPACE);
const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1, connectTimeout: 3000, lazyConnect: true });
try {
  await redis.connect();
  const live = await redis.zrangebyscore(keys.workers, Date.now(), '+inf');
  const here = live.filter((id) => id.startsWith(`${hostname()}-`));
  process.stdout.write(here.length > 0 ? `alive: ${here.join(', ')}\n` : `no live worker on ${hostname()}\n`);
  process.exitCode = here.length > 0 ? 0 : 1;
} catch (err) {
  process.stdout.write(`cannot read the worker registry: ${(err as Error).message}\n`);
  process.exitCode = 1;
} finally {
  redis.disconnect();
}
