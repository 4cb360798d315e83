import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { SurfaceRecord, SurfaceRequest } from '../../contract/index.ts';
import { ENSEMBLE_SEED_RULE } from '../../contract/surface.ts';
import { ensembleMemberRequest, ensembleSize, ensembleStatus, type EnsembleRecord, type StoredEnsemble } from '../../contract/ensembles.ts';
import { ensembleStatistics, type EnsembleStatistics } from '../../contract/metrics/ensemble.ts';
import { badRequest, HttpError } from '../errors.ts';
import { readJsonDir, readJsonOrNull, writeAtomic } from '../stores/files.ts';
import { canRead, ownerOf, readable, SYSTEM_PRINCIPAL, writable, type Principal } from '../tenancy.ts';
import { DEFAULTS, type SurfaceService } from './surfaces.ts';

export interface EnsembleServiceOptions {
  /** Each ensemble's stored record (<id>.json), written once at submission, and its statistics once computed (statistics/<id>.json). */
  dataDir: string;
  surfaces: SurfaceService;
}

/**
 * Direction ensembles over the surface pipeline: an ensemble is k plain surfaces submitted
 * together (member j with seed_j, ENSEMBLE_SEED_RULE), so the surfaces' queueing, persistence,
 * restart recovery and SSE serve each member unchanged. Its status and progress are read from the
 * members; its statistics are computed from their results when first asked and kept on disk
 * (finished members never change).
 */
export class EnsembleService {
  private readonly records = new Map<string, StoredEnsemble>();

  constructor(private readonly o: EnsembleServiceOptions) {}

  async start(): Promise<void> {
    for (const stored of await readJsonDir<StoredEnsemble>(this.o.dataDir)) this.records.set(stored.id, stored);
  }

  /**
   * Checks an ensemble request without queueing it (a comparison's members): the members differ
   * only in their seed, so member 0's request, checked as a surface, checks them all (4xx naming
   * the request's field).
   */
  check(request: SurfaceRequest, viewer: Principal): void {
    this.o.surfaces.plan(ensembleMemberRequest(request, 0, DEFAULTS.seed), 'validation', viewer);
  }

  /** Queues the k members for the viewer; none stays queued when one cannot be (a bad request fails at member 0). */
  async submit(request: SurfaceRequest, viewer: Principal): Promise<EnsembleRecord> {
    const k = ensembleSize(request);
    if (k < 2) throw badRequest('NOT_AN_ENSEMBLE', `directions.ensemble is ${k}: an ensemble has at least 2 members`, 'directions.ensemble');
    // Member 0's surface checks the request (every member differs only in its seed) before any other is queued.
    const members: SurfaceRecord[] = [];
    try {
      for (let j = 0; j < k; j++) members.push(await this.o.surfaces.submit(ensembleMemberRequest(request, j, DEFAULTS.seed), viewer));
    } catch (err) {
      await Promise.all(members.map((m) => this.o.surfaces.cancel(m.id, viewer).catch(() => undefined)));
      throw err;
    }
    const stored: StoredEnsemble = {
      id: randomUUID(),
      name: request.name ?? null,
      request,
      members: members.map((m, index) => ({ index, seed: m.provenance.directions.seed, surfaceId: m.id })),
      createdAt: new Date().toISOString(),
      tenant: viewer.tenant,
    };
    await writeAtomic(join(this.o.dataDir, `${stored.id}.json`), JSON.stringify(stored));
    this.records.set(stored.id, stored);
    return this.get(stored.id, viewer);
  }

  /** The ensembles the viewer may read, newest first, with their members' live state. */
  async list(viewer: Principal): Promise<EnsembleRecord[]> {
    const readableOnes = [...this.records.values()].filter((r) => canRead(viewer, ownerOf(r))).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    return Promise.all(readableOnes.map((r) => this.withMembers(r)));
  }

  /** The ensemble with its members' live state; 404 when the viewer may not read it. */
  async get(id: string, viewer: Principal): Promise<EnsembleRecord> {
    return this.withMembers(readable(viewer, this.records.get(id), 'ensemble', id));
  }

  private async withMembers(stored: StoredEnsemble): Promise<EnsembleRecord> {
    // Readable to whoever may read the ensemble: the members are its owner's surfaces.
    const surfaces = await Promise.all(stored.members.map((m) => this.o.surfaces.get(m.surfaceId, SYSTEM_PRINCIPAL)));
    const members = stored.members.map((m, j) => ({ ...m, status: surfaces[j]!.status, progress: surfaces[j]!.progress, error: surfaces[j]!.error }));
    const status = ensembleStatus(members);
    const failed = members.find((m) => m.error && (m.status === 'failed' || m.status === 'cancelled'));
    const self = `/api/v1/ensembles/${stored.id}`;
    return {
      id: stored.id,
      name: stored.name,
      status,
      k: members.length,
      progress: { done: members.reduce((n, m) => n + m.progress.done, 0), total: members.reduce((n, m) => n + m.progress.total, 0) },
      request: stored.request,
      directions: { seed: members[0]!.seed, rule: ENSEMBLE_SEED_RULE, seeds: members.map((m) => m.seed) },
      members,
      error: failed ? { code: failed.error!.code, message: `member ${failed.index} (surface ${failed.surfaceId}): ${failed.error!.message}` } : null,
      createdAt: stored.createdAt,
      finishedAt: this.o.surfaces.isFinal(status) ? surfaces.map((s) => s.timings.finishedAt ?? '').sort().at(-1) || null : null,
      links: { self, statistics: `${self}/statistics`, members: stored.members.map((m) => `/api/v1/surfaces/${m.surfaceId}`) },
      tenant: stored.tenant,
    };
  }

  /** Point-wise and metric statistics of a completed ensemble; 409 ENSEMBLE_NOT_READY before. */
  async statistics(id: string, viewer: Principal): Promise<EnsembleStatistics> {
    const record = await this.get(id, viewer);
    const path = join(this.o.dataDir, 'statistics', `${id}.json`);
    const stored = await readJsonOrNull<EnsembleStatistics>(path);
    if (stored) return stored;
    if (record.status !== 'completed') {
      throw new HttpError(409, 'ENSEMBLE_NOT_READY', `ensemble ${id} is ${record.status}; its statistics exist once every member is completed`);
    }
    const results = await Promise.all(record.members.map((m) => this.o.surfaces.result(m.surfaceId, SYSTEM_PRINCIPAL)));
    const statistics = ensembleStatistics(id, this.records.get(id)!.members, results);
    await writeAtomic(path, JSON.stringify(statistics));
    return statistics;
  }

  /** Cancels every member still queued or running: the owner or an admin. */
  async cancel(id: string, viewer: Principal): Promise<EnsembleRecord> {
    const stored = writable(viewer, this.records.get(id), 'ensemble', id);
    for (const member of stored.members) await this.o.surfaces.cancel(member.surfaceId, SYSTEM_PRINCIPAL);
    return this.get(id, viewer);
  }

  /** Resolves once every member is completed, failed or cancelled (stored on disk). */
  async whenFinal(id: string): Promise<EnsembleRecord> {
    const stored = readable(SYSTEM_PRINCIPAL, this.records.get(id), 'ensemble', id);
    await Promise.all(stored.members.map((m) => this.o.surfaces.whenFinal(m.surfaceId)));
    return this.get(id, SYSTEM_PRINCIPAL);
  }
}
