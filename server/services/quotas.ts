import type { ComparisonRequest } from '../../contract/comparisons.ts';
import { requestAxes, type SurfaceRequest } from '../../contract/index.ts';
import { ensembleSize } from '../../contract/ensembles.ts';
import { HttpError } from '../errors.ts';
import { ownerOf, type Principal } from '../tenancy.ts';
import type { ComparisonService } from './comparisons.ts';
import type { SurfaceService } from './surfaces.ts';
import type { TrainingService } from './trainings.ts';

export interface QuotaLimits {
  /** Queued or running surfaces, trainings and comparisons per tenant. */
  jobs: number;
  /** Grid points of queued or running surfaces and of comparison members not yet mapped, per tenant. */
  points: number;
}

/** Points of a request's grid (an interpolation's default α range when it names no grid.x). */
export function gridPoints(grid: SurfaceRequest['grid']): number {
  const { x, y } = requestAxes({ grid });
  return x.num * (y?.num ?? 1);
}

/**
 * Per-tenant admission of new jobs. What a tenant has in flight is counted from the jobs'
 * own state (Redis, and the surface records kept in step with it) rather than from counters of
 * its own, which a crash between increment and decrement would leave wrong. Admissions of one
 * tenant take turns, so two concurrent requests cannot both take its last place (one API
 * process holds the surface records). Not applied without keys (`enabled` false): one local user.
 */
export class QuotaService {
  private readonly turns = new Map<string, Promise<unknown>>();

  constructor(
    private readonly o: { surfaces: SurfaceService; trainings: TrainingService; comparisons: ComparisonService; limits: QuotaLimits; enabled: boolean },
  ) {}

  private async inFlight(tenant: string): Promise<{ jobs: number; points: number }> {
    const surfaces = this.o.surfaces.inFlight().filter((s) => ownerOf(s) === tenant);
    const trainings = (await this.o.trainings.inFlight()).filter((t) => t.tenant === tenant);
    const comparisons = (await this.o.comparisons.inFlight()).filter((c) => ownerOf(c) === tenant);
    const unmapped = comparisons.reduce((sum, c) => {
      const { shared } = c.request as ComparisonRequest;
      return sum + c.members.filter((m) => !m.surfaceId).length * gridPoints(shared.grid) * ensembleSize(shared);
    }, 0);
    return {
      jobs: surfaces.length + trainings.length + comparisons.length,
      points: surfaces.reduce((sum, s) => sum + s.progress.total, 0) + unmapped,
    };
  }

  /**
   * Submits `jobs` jobs of `points` grid points in all for the viewer (`submit` must leave them
   * queued before it resolves; an ensemble is k surface jobs) unless that would pass a quota of its
   * tenant: then 429 QUOTA_EXCEEDED naming the limit.
   */
  async admit<T>(viewer: Principal, points: number, submit: () => Promise<T>, field = 'grid', jobs = 1): Promise<T> {
    if (!this.o.enabled) return submit();
    const turn = (this.turns.get(viewer.tenant) ?? Promise.resolve()).catch(() => undefined).then(async () => {
      await this.check(viewer, points, field, jobs);
      return submit();
    });
    this.turns.set(viewer.tenant, turn);
    try {
      return await turn;
    } finally {
      if (this.turns.get(viewer.tenant) === turn) this.turns.delete(viewer.tenant);
    }
  }

  private async check(viewer: Principal, points: number, field: string, newJobs: number): Promise<void> {
    const { jobs, points: busy } = await this.inFlight(viewer.tenant);
    const { limits } = this.o;
    if (jobs + newJobs > limits.jobs) {
      const asked = newJobs === 1 ? '' : `, ${newJobs} more would pass it`;
      throw new HttpError(429, 'QUOTA_EXCEEDED', `tenant ${viewer.tenant} has ${jobs} queued or running jobs, the limit (LA_QUOTA_JOBS) is ${limits.jobs}${asked}; retry when one ends`);
    }
    if (busy + points > limits.points) {
      throw new HttpError(
        429,
        'QUOTA_EXCEEDED',
        `tenant ${viewer.tenant} has ${busy} grid points queued or running; ${points} more would pass the limit (LA_QUOTA_POINTS) of ${limits.points}`,
        field,
      );
    }
  }
}
