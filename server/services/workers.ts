import { storedValues, type WorkerHeartbeat } from '../../contract/index.ts';
import type { AppServices } from './index.ts';

/**
 * Live workers' heartbeats, from the registry sorted set (scored by expiry): expired ids are
 * dropped first, so the cost follows the number of workers, never the size of the keyspace.
 */
export async function liveWorkers({ redis, keys }: AppServices): Promise<WorkerHeartbeat[]> {
  const [, ids] = (await redis.multi().zremrangebyscore(keys.workers, '-inf', Date.now()).zrange(keys.workers, 0, -1).exec())!.map(([err, v]) => {
    if (err) throw err;
    return v;
  }) as [number, string[]];
  if (ids.length === 0) return [];
  const beats = await redis.mget(ids.map((id) => keys.worker(id)));
  return ids.flatMap((id, i) => storedValues.workerHeartbeat.readOrNull(beats[i], keys.worker(id)) ?? []);
}
