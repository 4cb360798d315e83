import type { Redis } from 'ioredis';
import { storedValues } from '../contract/index.ts';
import { hessianKeys, type HessianMapResult, type HessianPoint } from '../contract/metrics/hessian.ts';
import { hessianPointKey } from './hessian/hessian-map.ts';

/** Finished points and claims of a run nobody resumes (e.g. its job failed and was not requested again) expire after a week. */
const RUN_TTL_SECONDS = 7 * 24 * 3600;

/**
 * A Lua function: the surface's latest requested job (at job_key) when it is not job_id; false when
 * the run is current, and when no request named a job (a job queued directly, as in tests).
 */
const SUPERSEDED_BY = `
local function superseded_by(job_key, job_id)
  local latest = redis.call('GET', job_key)
  if latest and latest ~= job_id then return latest end
  return false
end
`;

/**
 * Claims the first point of ARGV[6..] (row-major) that is neither finished (KEYS[1]) nor held by
 * another worker under an unexpired claim (KEYS[2]): a worker's own claim (its earlier attempt) and
 * an expired one (a killed worker's) are retaken. ARGV: worker, lease ms, TTL s, '1' to open the
 * run (its job), '0' to join it only while it is open (a helper), the run's job id (checked against
 * the surface's latest, KEYS[3]). Redis's clock dates the claims, so workers' clocks need not agree.
 * Returns { claimed point or '', points held by others, 1 if the run is closed, the superseding
 * job id or '' }.
 */
const CLAIM = `${SUPERSEDED_BY}
local latest = superseded_by(KEYS[3], ARGV[5])
if latest then return {'', 0, 1, latest} end
if ARGV[4] ~= '1' and redis.call('EXISTS', KEYS[2]) == 0 then return {'', 0, 1, ''} end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local held = 0
for i = 6, #ARGV do
  local point = ARGV[i]
  if redis.call('HEXISTS', KEYS[1], point) == 0 then
    local expiry, worker = string.match(redis.call('HGET', KEYS[2], point) or '', '^(%d+) (.+)$')
    if expiry and worker ~= ARGV[1] and tonumber(expiry) > now then
      held = held + 1
    else
      redis.call('HSET', KEYS[2], point, (now + tonumber(ARGV[2])) .. ' ' .. ARGV[1])
      redis.call('EXPIRE', KEYS[2], ARGV[3])
      return {point, held, 0, ''}
    end
  end
end
return {'', held, 0, ''}
`;

/**
 * Extends a claim (KEYS[1]) by the lease (ARGV: point, worker, lease ms, the run's job id, checked
 * against KEYS[2] as in CLAIM) if the worker still holds it: 1 when it did, 0 when it lost it, the
 * superseding job id when the run is superseded.
 */
const RENEW = `${SUPERSEDED_BY}
local latest = superseded_by(KEYS[2], ARGV[4])
if latest then return latest end
local expiry, worker = string.match(redis.call('HGET', KEYS[1], ARGV[1]) or '', '^(%d+) (.+)$')
if not expiry or worker ~= ARGV[2] then return 0 end
local time = redis.call('TIME')
redis.call('HSET', KEYS[1], ARGV[1], (tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000) + tonumber(ARGV[3])) .. ' ' .. ARGV[2])
return 1
`;

/**
 * Stores a finished point (ARGV: point, its JSON, worker, TTL s) unless the run is closed (-1): the
 * first store of a point wins (a point computed twice, after a claim expired under a slow worker, is
 * the same bit for bit) and marks who computed it. Returns the number of finished points.
 */
const STORE = `
if redis.call('EXISTS', KEYS[2]) == 0 then return -1 end
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 1 then
  redis.call('HSET', KEYS[2], ARGV[1], 'done ' .. ARGV[3])
end
redis.call('EXPIRE', KEYS[1], ARGV[4])
return redis.call('HLEN', KEYS[1])
`;

/**
 * Stores the map (ARGV[2]) at KEYS[1] and ends the run (its points KEYS[2] and claims KEYS[3] go)
 * while the run is the surface's latest request (KEYS[4], ARGV[1] its job id); otherwise stores
 * nothing and returns the superseding job id ('' when stored).
 */
const CLOSE = `${SUPERSEDED_BY}
local latest = superseded_by(KEYS[4], ARGV[1])
if latest then return latest end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('DEL', KEYS[2], KEYS[3])
return ''
`;

export type Claim = { point: string; held: number; closed: false } | { point: null; held: number; closed: boolean };

/**
 * A request for other settings named another job as the surface's map since this run began: its
 * map would replace the newer request's, so the run stops (its finished points stay, so asking for
 * its settings again resumes it).
 */
export class SupersededRunError extends Error {
  constructor(jobId: string, latest: string) {
    super(`Hessian map job ${jobId} was superseded by a request for other settings (job ${latest})`);
    this.name = 'SupersededRunError';
  }
}

/**
 * One Hessian map run's shared state in Redis (hessianKeys points and claims): its job and its
 * helpers claim points atomically, each for `leaseMs` renewed while it computes, and store them in
 * the run's hash of finished points, which the job assembles into the map once every point is in.
 */
export class HessianMapRun {
  private readonly finishedKey: string;
  private readonly claimsKey: string;
  private readonly resultKey: string;
  private readonly latestJobKey: string;

  constructor(
    private readonly redis: Redis,
    namespace: string,
    surfaceId: string,
    private readonly jobId: string,
    /** Who claims: one name per worker process. */
    private readonly worker: string,
    private readonly leaseMs: number,
  ) {
    const keys = hessianKeys(namespace);
    this.finishedKey = keys.points(surfaceId, jobId);
    this.claimsKey = keys.claims(surfaceId, jobId);
    this.resultKey = keys.result(surfaceId);
    this.latestJobKey = keys.job(surfaceId);
  }

  /**
   * The first claimable of `points` (keys in row-major order); `open`: the run's own job, which may
   * start the run. Throws SupersededRunError once another job is the surface's latest request.
   */
  async claim(points: string[], open: boolean): Promise<Claim> {
    const [point, held, closed, latest] = (await this.redis.eval(CLAIM, 3, this.finishedKey, this.claimsKey, this.latestJobKey, this.worker, String(this.leaseMs), String(RUN_TTL_SECONDS), open ? '1' : '0', this.jobId, ...points)) as [string, number, number, string];
    if (latest) throw new SupersededRunError(this.jobId, latest);
    return point ? { point, held, closed: false } : { point: null, held, closed: closed === 1 };
  }

  /** false when the claim was lost (it expired and another worker took the point); throws SupersededRunError as claim does. */
  async renew(point: string): Promise<boolean> {
    const renewed = (await this.redis.eval(RENEW, 2, this.claimsKey, this.latestJobKey, point, this.worker, String(this.leaseMs), this.jobId)) as number | string;
    if (typeof renewed === 'string') throw new SupersededRunError(this.jobId, renewed);
    return renewed === 1;
  }

  /** Finished points afterwards, or null when the run is closed (its map is stored). */
  async store(point: HessianPoint): Promise<number | null> {
    const finished = (await this.redis.eval(STORE, 2, this.finishedKey, this.claimsKey, hessianPointKey(point.iy, point.ix), storedValues.hessianPoint.write(point), this.worker, String(RUN_TTL_SECONDS))) as number;
    return finished < 0 ? null : finished;
  }

  async finishedCount(): Promise<number> {
    return this.redis.hlen(this.finishedKey);
  }

  async finished(): Promise<Map<string, HessianPoint>> {
    return storedValues.hessianPoint.readHash(await this.redis.hgetall(this.finishedKey), this.finishedKey);
  }

  /** Worker processes recorded as having computed points of the run. */
  async workers(): Promise<number> {
    const computedBy = Object.values(await this.redis.hgetall(this.claimsKey)).flatMap((claim) => (claim.startsWith('done ') ? [claim.slice(5)] : []));
    return new Set(computedBy).size;
  }

  /**
   * Stores the map and closes the run in one step: its points and claims go, so helpers still
   * running stop. Throws SupersededRunError, storing nothing, when the run is no longer the
   * surface's latest request.
   */
  async close(result: HessianMapResult): Promise<void> {
    const latest = (await this.redis.eval(CLOSE, 4, this.resultKey, this.finishedKey, this.claimsKey, this.latestJobKey, this.jobId, storedValues.hessianMap.write(result))) as string;
    if (latest) throw new SupersededRunError(this.jobId, latest);
  }
}
