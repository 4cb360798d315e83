import type { Redis } from 'ioredis';
import { eventFields, storedValues, surfaceState, type ChunkValues, type JobError, type RedisKeys, type SurfaceEvent, type SurfacePlan, type SurfaceState, type SurfaceStatus } from '../contract/index.ts';

/**
 * Records a finished chunk atomically: its values keyed by chunk index (a retried chunk
 * overwrites, never duplicates), the progress counter bumped only the first time, and the
 * chunk and progress events appended to the surface's event stream.
 */
const RECORD_CHUNK = `
local added = redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local done
if added == 1 then
  done = redis.call('HINCRBY', KEYS[2], 'done', ARGV[3])
  redis.call('HINCRBYFLOAT', KEYS[2], 'seconds', ARGV[5])
else
  done = tonumber(redis.call('HGET', KEYS[2], 'done'))
end
redis.call('HSETNX', KEYS[2], 'engine', ARGV[6])
redis.call('XADD', KEYS[3], '*', 'event', 'chunk', 'data', ARGV[2])
redis.call('XADD', KEYS[3], '*', 'event', 'progress', 'data', '{"done":' .. done .. ',"total":' .. ARGV[4] .. '}')
return done
`;

/**
 * Moves a surface to a new status only from one of the expected ones (ARGV[1], comma-separated),
 * with extra fields, so a worker never overwrites a status the API set meanwhile (cancelled).
 * Returns 1 when it moved.
 */
const TRANSITION = `
local status = redis.call('HGET', KEYS[1], 'status')
if not status or not string.find(',' .. ARGV[1] .. ',', ',' .. status .. ',', 1, true) then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[2], unpack(ARGV, 3))
return 1
`;

/** A surface's live state in Redis (contract SurfaceState), as the worker reads and moves it. */
export class SurfaceStateStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async read(id: string): Promise<SurfaceState> {
    const key = this.keys.surface(id);
    return surfaceState.read(await this.redis.hgetall(key), key);
  }

  plan(state: SurfaceState): SurfacePlan {
    if (!state.plan) throw new Error('the surface has no plan in Redis');
    return state.plan;
  }

  async isCancelled(id: string): Promise<boolean> {
    return (await this.redis.hget(this.keys.surface(id), 'cancelled')) === '1';
  }

  async recordChunk(id: string, values: ChunkValues, total: number): Promise<number> {
    const points = values.loss.length;
    return (await this.redis.eval(
      RECORD_CHUNK,
      3,
      this.keys.surfaceChunks(id),
      this.keys.surface(id),
      this.keys.surfaceEvents(id),
      String(values.index),
      storedValues.chunkValues.write(values),
      String(points),
      String(total),
      String(values.seconds),
      JSON.stringify(values.engine),
    )) as number;
  }

  async chunkValues(id: string): Promise<ChunkValues[]> {
    const key = this.keys.surfaceChunks(id);
    return [...storedValues.chunkValues.readHash(await this.redis.hgetall(key), key).values()];
  }

  /** Sets `to` (and `fields`) only if the status is one of `from`; false when something else (e.g. a cancel) came first. */
  async transition(id: string, from: SurfaceStatus[], to: SurfaceStatus, fields: Partial<SurfaceState>): Promise<boolean> {
    const args = Object.entries(surfaceState.write(fields)).flat();
    return (await this.redis.eval(TRANSITION, 1, this.keys.surface(id), from.join(','), to, ...args)) === 1;
  }

  async event(id: string, event: SurfaceEvent): Promise<void> {
    await this.redis.xadd(this.keys.surfaceEvents(id), '*', ...eventFields(event));
  }

  /** Final failure of a surface: state, error and a failed event, unless it already ended. */
  async fail(id: string, code: string, message: string): Promise<void> {
    const error: JobError = { code, message };
    if (await this.transition(id, ['queued', 'running'], 'failed', { error, finishedAt: new Date().toISOString() })) {
      await this.event(id, { event: 'failed', data: error });
    }
  }
}
