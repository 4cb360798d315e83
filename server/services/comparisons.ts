import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Queue, QueueEvents, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { ContractError, JOB_OPTIONS, modelRef, QUEUES, storedValues, type RedisKeys, type SurfaceRequest } from '../../contract/index.ts';
import { ensembleSize } from '../../contract/ensembles.ts';
import { architectureById } from '../../contract/architectures.ts';
import {
  COMPARISON_HESSIAN_DEFAULTS, readComparisonFixture, type ComparisonMemberState, type EnsembleCompanion, type ComparisonRecord, type ComparisonRequest, type MemberHessian, type StoredComparison,
} from '../../contract/comparisons.ts';
import {
  comparisonFinding, hessianJobId, resolveHessianRequest, surfaceMetrics,
  type GradientFlow, type GradientFlowJobData, type HessianMapResult,
} from '../../contract/metrics/index.ts';
import { resolveTrainingRequest, type ResolvedTrainingRequest, type TrainingRequest } from '../../contract/training.ts';
import { modelFormat } from '../../contract/formats/index.ts';
import { HttpError } from '../errors.ts';
import type { BlobStore } from '../stores/blobs.ts';
import type { DatasetStore } from '../stores/datasets.ts';
import type { ModelStore } from '../stores/models.ts';
import { fixtureFolders, readJsonDir, writeAtomic } from '../stores/files.ts';
import type { EnsembleService } from './ensembles.ts';
import type { HessianMapService, HessianState } from './hessian-maps.ts';
import type { SpectrumService } from './spectra.ts';
import type { SurfaceService } from './surfaces.ts';
import type { TrainingService } from './trainings.ts';
import { canRead, ownerOf, ownerPrincipal, readable, SYSTEM_PRINCIPAL, type Principal } from '../tenancy.ts';

export interface ComparisonServiceOptions {
  /** Each comparison's state is copied here (<id>.json) whenever it changes. */
  dataDir: string;
  /** Finished comparisons shipped with the project (fixtures/comparisons). */
  fixturesDir: string;
  redis: Redis;
  keys: RedisKeys;
  blobs: BlobStore;
  models: ModelStore;
  datasets: DatasetStore;
  surfaces: SurfaceService;
  ensembles: EnsembleService;
  hessians: HessianMapService;
  spectra: SpectrumService;
  trainings: TrainingService;
  /**
   * How long a gradient-flow job may run once a worker has taken it before it is left out of the
   * comparison rather than holding it up (LA_GRADIENT_FLOW_TIMEOUT_MS). Its time in the queue does
   * not count: behind a long Hessian map it may wait far longer than it runs.
   */
  gradientFlowTimeoutMs: number;
}

const DEFAULT_EPOCHS = 5;
/** States of a job no worker has taken yet. */
const QUEUED_STATES: ReadonlySet<string> = new Set(['waiting', 'prioritized', 'delayed', 'waiting-children']);


/**
 * A model's training recipe when it is the zoo's own (an architecture id and a seed to rebuild the
 * initial weights from); a demo fixture's recipe is a description for people, not for rebuilding.
 */
function zooRecipe(recipe: unknown): ArchitectureRecipe | undefined {
  const r = recipe as Partial<ResolvedTrainingRequest> | undefined;
  return typeof r?.architecture === 'object' && r.architecture !== null && typeof r.architecture.id === 'string' && typeof r.seed === 'number' ? (r as ArchitectureRecipe) : undefined;
}

/** The resolved training of a new architecture (what comparisons train and rebuild initial weights from). */
type ArchitectureRecipe = ResolvedTrainingRequest & { architecture: NonNullable<ResolvedTrainingRequest['architecture']> };

/** Key order fixed, so two equal recipes serialize identically. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function recipeKey(request: ResolvedTrainingRequest): string {
  const { name: _name, dataset, ...recipe } = request;
  // Recipes stored before the train-subset option lack its fields: they trained on the whole split.
  return canonical({ ...recipe, dataset: { id: dataset.id, samples: dataset.samples ?? null, sampleSeed: dataset.sampleSeed ?? 0 } });
}

/** What every member's surface shares: the comparison's `shared`, as a surface request without its model. */
function sharedSurfaceSettings({ shared }: ComparisonRequest): Omit<SurfaceRequest, 'model'> {
  return {
    dataset: shared.dataset,
    grid: shared.grid,
    ...(shared.directions ? { directions: shared.directions } : {}),
    ...(shared.loss ? { loss: shared.loss } : {}),
    ...(shared.batchSize ? { batchSize: shared.batchSize } : {}),
  };
}

/** A surface check's error with its field named as in the comparison request (members.i.model, shared.…). */
function asComparisonField(err: unknown, memberIndex: number): unknown {
  if (!(err instanceof HttpError) || !err.field) return err;
  const field = err.field === 'model' ? `members.${memberIndex}.model` : `shared.${err.field}`;
  return new HttpError(err.statusCode, err.code, err.message, field);
}

/**
 * Runs comparisons in the API process: trains the members that have no weights yet (a stored
 * model trained with the identical resolved recipe counts as having them), queues one surface per
 * member with identical dataset selection, grid, directions, loss and batch size, then computes
 * surfaceMetrics per member and comparisonFinding. State is JSON in Redis and on disk (so it
 * outlives Redis); unfinished comparisons resume when the API starts (every step is idempotent
 * given the ids already stored).
 */
export class ComparisonService {
  private readonly states = new Map<string, StoredComparison>();
  /** Direction-ensemble companions of committed demos, by the demo's id (read from the fixtures at every start). */
  private readonly companions = new Map<string, EnsembleCompanion>();
  private saving = Promise.resolve();
  private readonly analysis: Queue;
  private analysisEvents?: QueueEvents;
  private closed = false;

  constructor(private readonly s: ComparisonServiceOptions) {
    this.analysis = new Queue(QUEUES.analysis, { connection: s.redis, prefix: s.keys.bullPrefix });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.analysisEvents?.close();
    await this.analysis.close();
  }

  /**
   * Finished comparisons shipped in fixtures/comparisons/<id>/comparison.json (written by
   * scripts/export-demo-comparison.ts): their surfaces are stored and the comparison listed, so
   * the demo opens at once on a fresh clone.
   */
  async importFixtures(dir: string): Promise<void> {
    for (const folder of await fixtureFolders(dir)) {
      const path = join(dir, folder, 'comparison.json');
      const fixture = readComparisonFixture(await readFile(path, 'utf8'), path);
      for (const { record, result, hessian, spectra = [] } of fixture.surfaces) {
        await this.s.surfaces.importFinished(record, result, null);
        if (hessian) await this.s.hessians.importFinished(hessian);
        for (const spectrum of spectra) await this.s.spectra.importFinished(spectrum);
      }
      // The fixture is the truth for its id (a re-exported demo replaces the old one); never copied to disk. Public: tenant null.
      const comparison: StoredComparison = { ...fixture.comparison, tenant: null };
      if (fixture.ensemble) {
        this.companions.set(comparison.id, fixture.ensemble);
        comparison.links = { ...comparison.links, ensemble: `${comparison.links.self}/ensemble` };
      }
      this.states.set(comparison.id, comparison);
      await this.s.redis.set(this.s.keys.comparison(comparison.id), storedValues.comparison.write(comparison));
      await this.s.redis.zadd(this.s.keys.comparisons, Date.parse(fixture.comparison.createdAt), fixture.comparison.id);
    }
  }

  private get dataDir(): string {
    return this.s.dataDir;
  }

  async start(): Promise<void> {
    for (const stored of await readJsonDir<StoredComparison>(this.dataDir)) {
      if (await this.s.redis.exists(this.s.keys.comparison(stored.id))) continue;
      await this.s.redis.set(this.s.keys.comparison(stored.id), storedValues.comparison.write(stored));
      await this.s.redis.zadd(this.s.keys.comparisons, Date.parse(stored.createdAt), stored.id);
    }
    await this.importFixtures(this.s.fixturesDir);
    this.analysisEvents = new QueueEvents(QUEUES.analysis, { connection: this.s.redis.duplicate({ maxRetriesPerRequest: null }), prefix: this.s.keys.bullPrefix });
    for (const id of await this.s.redis.zrange(this.s.keys.comparisons, 0, -1)) {
      const state = await this.load(id);
      if (state?.status === 'running') void this.run(id);
    }
  }

  private async load(id: string): Promise<StoredComparison | null> {
    const cached = this.states.get(id);
    if (cached) return cached;
    const key = this.s.keys.comparison(id);
    const state = storedValues.comparison.readOrNull(await this.s.redis.get(key), key);
    if (!state) return null;
    this.states.set(id, state);
    return state;
  }

  private save(state: StoredComparison): Promise<void> {
    // Steps still in flight when the API closes are not saved: they resume from the last saved state at the next start.
    if (this.closed) return this.saving;
    this.saving = this.saving.then(async () => {
      const json = storedValues.comparison.write(state);
      await this.s.redis.set(this.s.keys.comparison(state.id), json);
      await writeAtomic(join(this.dataDir, `${state.id}.json`), json);
    });
    return this.saving;
  }

  /** Each architecture member's resolved training request (null for stored models the viewer may read). */
  private memberTraining(request: ComparisonRequest, index: number, viewer: Principal): ArchitectureRecipe | null {
    const member = request.members[index]!;
    const field = `members.${index}`;
    if ((member.model === undefined) === (member.architecture === undefined)) {
      throw new ContractError(field, 'give exactly one of model (a stored model id) or architecture (a zoo architecture to train)');
    }
    if (member.model !== undefined) {
      this.s.models.readable(member.model, viewer, `${field}.model`);
      if (member.training) throw new ContractError(`${field}.training`, 'applies to architecture members only');
      return null;
    }
    architectureById(member.architecture!.id, `${field}.architecture.id`);
    const body: TrainingRequest = {
      epochs: DEFAULT_EPOCHS,
      ...request.training,
      ...member.training,
      architecture: member.architecture!,
      dataset: { id: request.shared.dataset.id },
    };
    this.s.trainings.check(body, viewer, { dataset: 'shared.dataset.id', architecture: `${field}.architecture` });
    return resolveTrainingRequest(body) as ArchitectureRecipe;
  }

  /** A comparison of the viewer's, over models and a dataset it may read. */
  async submit(request: ComparisonRequest, viewer: Principal): Promise<ComparisonRecord> {
    this.s.datasets.readable(request.shared.dataset.id, viewer, 'shared.dataset.id');
    const members = request.members.map((member, index): Omit<ComparisonMemberState, 'surface'> => {
      const training = this.memberTraining(request, index, viewer);
      const stored = member.model ? this.s.models.get(member.model)! : null;
      return {
        label: member.label ?? stored?.name ?? `${training!.architecture.id}${training!.architecture.width === 1 ? '' : ` ×${training!.architecture.width}`}`,
        architecture: training?.architecture ?? null,
        status: 'pending',
        trainingId: null,
        modelId: stored?.id ?? null,
        surfaceId: null,
        metrics: null,
        ensemble: null,
        hessian: null,
        gradientFlow: [],
        gradientFlowOmitted: [],
        error: null,
      };
    });
    const id = randomUUID();
    const createdAt = new Date().toISOString();
    const state: StoredComparison = {
      id, name: request.name ?? null, status: 'running', request, members, finding: null, createdAt, finishedAt: null,
      links: { self: `/api/v1/comparisons/${id}` },
      tenant: viewer.tenant,
    };
    // Every member's surface is checked (dataset, samples, loss, grid; model vs dataset shapes) before anything is stored or trained.
    members.forEach((member, index) => {
      try {
        if (member.modelId && ensembleSize(request.shared) > 1) this.s.ensembles.check(this.surfaceRequest(state, member), viewer);
        else if (member.modelId) this.s.surfaces.plan(this.surfaceRequest(state, member), 'validation', viewer);
        else this.s.surfaces.checkSettings(sharedSurfaceSettings(request), viewer);
      } catch (err) {
        throw asComparisonField(err, index);
      }
    });
    this.states.set(id, state);
    await this.save(state);
    await this.s.redis.zadd(this.s.keys.comparisons, Date.parse(createdAt), id);
    void this.run(id);
    return this.get(id, viewer);
  }

  private surfaceRequest(state: StoredComparison, member: Omit<ComparisonMemberState, 'surface'>): SurfaceRequest {
    return { model: member.modelId!, ...sharedSurfaceSettings(state.request as ComparisonRequest), name: `${state.name ?? 'comparison'}: ${member.label}` };
  }

  private async run(id: string): Promise<void> {
    const state = (await this.load(id))!;
    await Promise.all(state.members.map((_, index) => this.runMember(state, index).catch(async (err: Error) => {
      const member = state.members[index]!;
      member.status = 'failed';
      member.error = { code: err instanceof ContractError ? 'INVALID_INPUT' : 'MEMBER_FAILED', message: err.message };
      await this.save(state);
    })));
    const completed = [];
    for (const member of state.members) {
      const initial = member.gradientFlow.find((f) => f.label === 'initialisation') ?? null;
      if (member.metrics) {
        completed.push({ label: member.label, metrics: member.metrics, hessian: member.hessian?.summary ?? null, gradientFlow: initial, ensemble: member.ensemble?.metrics ?? null });
      }
    }
    state.finding = completed.length > 0 ? comparisonFinding(completed) : null;
    state.status = state.members.every((m) => m.status === 'completed') ? 'completed' : 'failed';
    state.finishedAt = new Date().toISOString();
    await this.save(state);
  }

  private async runMember(state: StoredComparison, index: number): Promise<void> {
    const member = state.members[index]!;
    if (member.status === 'completed' || member.status === 'failed') return;
    // The steps run as the comparison's owner: its trainings and surfaces are the owner's, and reuse only models it may read.
    const owner = ownerPrincipal(ownerOf(state));
    if (!member.modelId) {
      const training = this.memberTraining(state.request as ComparisonRequest, index, owner)!;
      const key = recipeKey(training);
      const trained = this.s.models.list(owner).find((m) => m.dataset === training.dataset.id && m.metadata.recipe !== undefined && recipeKey(m.metadata.recipe as ResolvedTrainingRequest) === key);
      if (trained) {
        member.modelId = trained.id;
      } else {
        if (!member.trainingId) {
          const { name: _name, model: _model, dataset: { samples, sampleSeed, id }, ...body } = training;
          const dataset = samples === null ? { id } : { id, samples, sampleSeed };
          member.trainingId = (await this.s.trainings.submit({ ...body, dataset, name: `${state.name ?? 'comparison'}: ${member.label}` }, owner)).id;
          member.status = 'training';
          await this.save(state);
        }
        member.modelId = await this.s.trainings.waitForModel(member.trainingId);
      }
      await this.save(state);
    }
    if (!member.surfaceId) {
      const request = this.surfaceRequest(state, member);
      if (ensembleSize(request) > 1) {
        // The Hessian map, gradient flows and the compare view use member 0, the surface of the shared seed.
        const ensemble = await this.s.ensembles.submit(request, owner);
        member.ensemble = { id: ensemble.id, k: ensemble.k, metrics: null };
        member.surfaceId = ensemble.members[0]!.surfaceId;
      } else {
        member.surfaceId = (await this.s.surfaces.submit(request, owner)).id;
      }
      member.status = 'mapping';
      await this.save(state);
    }
    if (member.ensemble && !member.ensemble.metrics) {
      const ensemble = await this.s.ensembles.whenFinal(member.ensemble.id);
      if (ensemble.status !== 'completed') throw new Error(`ensemble ${ensemble.id} ${ensemble.status}${ensemble.error ? `: ${ensemble.error.message}` : ''}`);
      member.ensemble.metrics = (await this.s.ensembles.statistics(ensemble.id, SYSTEM_PRINCIPAL)).metrics;
    }
    const surfaceId = member.surfaceId;
    const surface = await this.s.surfaces.whenFinal(surfaceId);
    if (surface.status !== 'completed') {
      throw new Error(`surface ${surfaceId} ${surface.status}${surface.error ? `: ${surface.error.message}` : ''}`);
    }
    member.metrics = surfaceMetrics(await this.s.surfaces.result(surfaceId, SYSTEM_PRINCIPAL));
    member.status = 'analysing';
    await this.save(state);
    const [{ flows, omitted }] = await Promise.all([this.gradientFlows(member), this.hessianMap(state, member)]);
    member.gradientFlow = flows;
    member.gradientFlowOmitted = omitted;
    member.status = 'completed';
    await this.save(state);
  }

  /**
   * The member's Hessian map with the comparison's settings (shared.hessian over
   * COMPARISON_HESSIAN_DEFAULTS): an existing map with the same settings is reused, a lost job
   * (Redis restarted) is queued again; progress is saved as it comes. A failure is recorded on
   * member.hessian and never fails the member.
   */
  private async hessianMap(state: StoredComparison, member: Omit<ComparisonMemberState, 'surface'>): Promise<void> {
    const requested = (state.request as ComparisonRequest).shared.hessian;
    if (requested === false) return;
    const surfaceId = member.surfaceId!;
    const record = await this.s.surfaces.get(surfaceId, SYSTEM_PRINCIPAL);
    const settings = resolveHessianRequest({ ...COMPARISON_HESSIAN_DEFAULTS, ...requested }, record.provenance.dataset.samples);
    // A map of the finite-difference era (no `parameters` in its settings) is recomputed.
    const sameSettings = (s: HessianMapResult['settings']) => 'parameters' in s && hessianJobId(surfaceId, s) === hessianJobId(surfaceId, settings);
    const track = async (current: HessianState): Promise<boolean> => {
      const next: MemberHessian = current.status === 'completed'
        ? { status: 'completed', progress: { done: current.result.points.length, total: current.result.points.length }, summary: current.result.summary, error: null }
        : { status: current.status, progress: current.progress, summary: null, error: current.error };
      if (JSON.stringify(next) !== JSON.stringify(member.hessian)) {
        member.hessian = next;
        await this.save(state);
      }
      return next.status === 'completed' || next.status === 'failed';
    };
    try {
      const existing = await this.s.hessians.state(surfaceId);
      let current: HessianState = !existing || (existing.status === 'completed' ? !sameSettings(existing.result.settings) : existing.status === 'failed')
        ? await this.s.hessians.request(surfaceId, settings, SYSTEM_PRINCIPAL)
        : existing;
      // Progress is saved point by point, in order.
      let saving = Promise.resolve(false);
      while (!(await track(current))) {
        const final = await this.s.hessians.whenFinal(surfaceId, (progress) => {
          if (current.status === 'completed') return;
          const next: HessianState = { ...current, status: 'running', progress };
          current = next;
          saving = saving.then(() => track(next));
        });
        await saving;
        // Null: the job is gone without a map (Redis lost it), so it is queued again.
        current = final ?? (await this.s.hessians.request(surfaceId, settings, SYSTEM_PRINCIPAL));
      }
    } catch (err) {
      member.hessian = { status: 'failed', progress: member.hessian?.progress ?? { done: 0, total: 0 }, summary: null, error: (err as Error).message };
      await this.save(state);
    }
  }

  /**
   * Per-layer gradient norms on the surface's own samples: trained, and at initialisation when
   * the model has a zoo training recipe (its initial weights are rebuilt from the recipe's
   * architecture and seed). Optional extras: a failure leaves one out, never fails the member;
   * each one left out is returned with why.
   */
  private async gradientFlows(member: Omit<ComparisonMemberState, 'surface'>): Promise<{ flows: GradientFlow[]; omitted: { label: string; reason: string }[] }> {
    const model = this.s.models.get(member.modelId!);
    const surface = await this.s.surfaces.get(member.surfaceId!, SYSTEM_PRINCIPAL);
    const recipe = zooRecipe(model?.metadata.recipe);
    const all = (reason: string) => ({ flows: [], omitted: ['initialisation', 'trained'].map((label) => ({ label, reason })) });
    if (!model) return all(`model ${member.modelId} is gone`);
    if (!modelFormat(model.format).capabilities.gradients) return all(`the model's format (${model.format}) has no gradients`);
    if (!this.analysisEvents) return all('the API is not listening to the analysis queue');
    const omitted = recipe ? [] : [{ label: 'initialisation', reason: 'the model has no zoo training recipe to rebuild its initial weights from' }];
    const points: { label: string; parameters: GradientFlowJobData['parameters'] }[] = [
      ...(recipe ? [{ label: 'initialisation', parameters: { source: 'initialisation' as const, architecture: recipe.architecture, seed: recipe.seed } }] : []),
      { label: 'trained', parameters: { source: 'stored' } },
    ];
    const { dataset } = surface.provenance;
    try {
      for (const hash of Object.values(model.files)) await this.s.blobs.publish(hash);
      if (dataset.hash) await this.s.blobs.publish(dataset.hash);
    } catch (err) {
      return all(`the model's files or samples could not be published to the workers: ${(err as Error).message}`);
    }
    type Outcome = { label: string; flow: GradientFlow; reason?: never } | { label: string; flow?: never; reason: string };
    const results = await Promise.all(points.map(async ({ label, parameters }): Promise<Outcome> => {
      try {
        const data: GradientFlowJobData = {
          model: modelRef(model),
          dataset: { id: dataset.id, hash: dataset.hash, split: dataset.split, samples: dataset.samples, sampleSeed: dataset.sampleSeed },
          loss: surface.provenance.loss,
          batchSize: surface.provenance.batchSize,
          label,
          parameters,
        };
        const job = await this.analysis.add('gradient-flow', data, JOB_OPTIONS.gradientFlow);
        await this.leftQueue(job);
        return { label, flow: (await job.waitUntilFinished(this.analysisEvents!, this.s.gradientFlowTimeoutMs)) as GradientFlow };
      } catch (err) {
        return { label, reason: (err as Error).message };
      }
    }));
    return {
      flows: results.flatMap((r) => (r.flow ? [r.flow] : [])),
      omitted: [...omitted, ...results.flatMap((r) => (r.reason !== undefined ? [{ label: r.label, reason: r.reason }] : []))],
    };
  }

  /** Resolves when a worker has taken the analysis job, or it has ended or is gone, whichever comes first. */
  private async leftQueue(job: Job): Promise<void> {
    const events = this.analysisEvents!;
    const names = ['active', 'completed', 'failed', 'removed'] as const;
    await new Promise<void>((resolve) => {
      const onEvent = ({ jobId }: { jobId: string }) => {
        if (jobId === job.id) done();
      };
      const done = () => {
        for (const name of names) events.off(name, onEvent);
        resolve();
      };
      for (const name of names) events.on(name, onEvent);
      // Asked after listening, so a start in between is never missed; an error ends the wait too.
      job.getState().then((state) => (QUEUED_STATES.has(state) ? undefined : done()), done);
    });
  }

  /** The comparisons the viewer may read, newest first. */
  async list(viewer: Principal): Promise<StoredComparison[]> {
    const ids = await this.s.redis.zrevrange(this.s.keys.comparisons, 0, -1);
    const states = await Promise.all(ids.map((id) => this.load(id)));
    return states.filter((s): s is StoredComparison => s !== null && canRead(viewer, ownerOf(s)));
  }

  /** Comparisons still running (their datasets and models are in use). */
  async inFlight(): Promise<StoredComparison[]> {
    return (await this.list(SYSTEM_PRINCIPAL)).filter((s) => s.status === 'running');
  }

  /** The record with each finished member's surface inlined; 404 when the viewer may not read it. */
  async get(id: string, viewer: Principal): Promise<ComparisonRecord> {
    const state = readable(viewer, (await this.load(id)) ?? undefined, 'comparison', id);
    const members = await Promise.all(
      state.members.map(async (m) => ({ ...m, surface: m.status === 'completed' && m.surfaceId ? await this.s.surfaces.result(m.surfaceId, SYSTEM_PRINCIPAL) : null })),
    );
    return { ...state, members };
  }

  /** A committed demo's direction-ensemble companion; 404 when the comparison has none. */
  async companion(id: string, viewer: Principal): Promise<EnsembleCompanion> {
    readable(viewer, (await this.load(id)) ?? undefined, 'comparison', id);
    const companion = this.companions.get(id);
    if (!companion) throw new HttpError(404, 'NO_ENSEMBLE_COMPANION', `comparison ${id} has no direction-ensemble companion (only committed demos exported with one have)`);
    return companion;
  }
}

