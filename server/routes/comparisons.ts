import { randomUUID } from 'node:crypto';
import { Queue, QueueEvents } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ContractError, type SurfaceRecord, type SurfaceRequest, type SurfaceResult } from '../../contract/index.ts';
import { architectureById } from '../../contract/architectures.ts';
import { ComparisonRecord, ComparisonRequest, type ComparisonMemberState } from '../../contract/comparisons.ts';
import { ANALYSIS_QUEUE, comparisonFinding, surfaceMetrics, type GradientFlow, type GradientFlowJobData } from '../../contract/metrics/index.ts';
import { resolveTrainingRequest, type ResolvedTrainingRequest, type TrainingRequest } from '../../contract/training.ts';
import type { AppServices } from '../app.ts';
import { notFound } from '../errors.ts';
import { errorResponses, IdParams } from './schemas.ts';
import { trainingService, type TrainingService } from './trainings.ts';

const DEFAULT_EPOCHS = 5;
const POLL_MS = 500;
/** A gradient-flow job that takes longer is left out of the comparison rather than holding it up. */
const GRADIENT_FLOW_TIMEOUT_MS = 10 * 60_000;

/** What is kept in Redis: the record without the inlined surfaces. */
export type StoredComparison = Omit<ComparisonRecord, 'members'> & { members: Omit<ComparisonMemberState, 'surface'>[] };

/** A finished comparison shipped with the project, with its members' surfaces. */
export interface ComparisonFixture {
  comparison: StoredComparison;
  surfaces: { record: SurfaceRecord; result: SurfaceResult }[];
}

/** Key order fixed, so two equal recipes serialize identically. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function recipeKey(request: ResolvedTrainingRequest): string {
  const { name: _name, ...recipe } = request;
  return canonical(recipe);
}

/**
 * Runs comparisons in the API process: trains the members that have no weights yet (a stored
 * model trained with the identical resolved recipe counts as having them), queues one surface per
 * member with identical dataset selection, grid, directions, loss and batch size, then computes
 * surfaceMetrics per member and comparisonFinding. State is JSON in Redis; unfinished comparisons
 * resume when the API starts (every step is idempotent given the ids already stored).
 */
export class ComparisonService {
  private readonly states = new Map<string, StoredComparison>();
  private saving = Promise.resolve();
  private readonly analysis: Queue;
  private analysisEvents?: QueueEvents;

  constructor(
    private readonly s: AppServices,
    private readonly trainings: TrainingService,
  ) {
    this.analysis = new Queue(ANALYSIS_QUEUE, { connection: s.redis, prefix: s.keys.bullPrefix });
  }

  async close(): Promise<void> {
    await this.analysisEvents?.close();
    await this.analysis.close();
  }

  /**
   * Finished comparisons shipped in fixtures/comparisons/<id>/comparison.json (written by
   * scripts/export-demo-comparison.ts): their surfaces are stored and the comparison listed, so
   * the demo opens at once on a fresh clone.
   */
  async importFixtures(dir: string): Promise<void> {
    let folders: string[];
    try {
      folders = await readdir(dir);
    } catch {
      return;
    }
    for (const folder of folders.sort()) {
      const fixture = JSON.parse(await readFile(join(dir, folder, 'comparison.json'), 'utf8')) as ComparisonFixture;
      for (const { record, result } of fixture.surfaces) await this.s.surfaces.importFinished(record, result);
      if (await this.load(fixture.comparison.id)) continue;
      this.states.set(fixture.comparison.id, fixture.comparison);
      await this.save(fixture.comparison);
      await this.s.redis.zadd(this.s.keys.comparisons, Date.parse(fixture.comparison.createdAt), fixture.comparison.id);
    }
  }

  async start(): Promise<void> {
    await this.importFixtures(resolve(this.s.config.COMPARISON_FIXTURES_DIR));
    this.analysisEvents = new QueueEvents(ANALYSIS_QUEUE, { connection: this.s.redis.duplicate({ maxRetriesPerRequest: null }), prefix: this.s.keys.bullPrefix });
    for (const id of await this.s.redis.zrange(this.s.keys.comparisons, 0, -1)) {
      const state = await this.load(id);
      if (state?.status === 'running') void this.run(id);
    }
  }

  private async load(id: string): Promise<StoredComparison | null> {
    const cached = this.states.get(id);
    if (cached) return cached;
    const raw = await this.s.redis.get(this.s.keys.comparison(id));
    if (!raw) return null;
    const state = JSON.parse(raw) as StoredComparison;
    this.states.set(id, state);
    return state;
  }

  private save(state: StoredComparison): Promise<void> {
    this.saving = this.saving.then(() => this.s.redis.set(this.s.keys.comparison(state.id), JSON.stringify(state)).then(() => undefined));
    return this.saving;
  }

  /** Each architecture member's resolved training request (null for stored models). */
  private memberTraining(request: ComparisonRequest, index: number): ResolvedTrainingRequest | null {
    const member = request.members[index]!;
    const field = `members.${index}`;
    if ((member.model === undefined) === (member.architecture === undefined)) {
      throw new ContractError(field, 'give exactly one of model (a stored model id) or architecture (a zoo architecture to train)');
    }
    if (member.model !== undefined) {
      if (!this.s.models.get(member.model)) throw new ContractError(`${field}.model`, `model "${member.model}" does not exist`);
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
    return resolveTrainingRequest(body);
  }

  async submit(request: ComparisonRequest): Promise<ComparisonRecord> {
    if (!this.s.datasets.get(request.shared.dataset.id)) throw notFound('dataset', request.shared.dataset.id, 'shared.dataset.id');
    const members = request.members.map((member, index): Omit<ComparisonMemberState, 'surface'> => {
      const training = this.memberTraining(request, index);
      const stored = member.model ? this.s.models.get(member.model)! : null;
      return {
        label: member.label ?? stored?.name ?? `${training!.architecture.id}${training!.architecture.width === 1 ? '' : ` ×${training!.architecture.width}`}`,
        architecture: training?.architecture ?? null,
        status: 'pending',
        trainingId: null,
        modelId: stored?.id ?? null,
        surfaceId: null,
        metrics: null,
        error: null,
      };
    });
    const id = randomUUID();
    const createdAt = new Date().toISOString();
    const state: StoredComparison = {
      id, name: request.name ?? null, status: 'running', request, members, finding: null, createdAt, finishedAt: null,
      links: { self: `/api/v1/comparisons/${id}` },
    };
    this.states.set(id, state);
    await this.save(state);
    await this.s.redis.zadd(this.s.keys.comparisons, Date.parse(createdAt), id);
    // Surfaces are checked (model vs dataset shapes, grid) before anything is trained.
    for (const member of members) if (member.modelId) this.s.surfaces.plan(this.surfaceRequest(state, member), 'validation');
    void this.run(id);
    return this.get(id);
  }

  private surfaceRequest(state: StoredComparison, member: Omit<ComparisonMemberState, 'surface'>): SurfaceRequest {
    const { shared } = state.request as ComparisonRequest;
    return {
      model: member.modelId!,
      dataset: shared.dataset,
      grid: shared.grid,
      ...(shared.directions ? { directions: shared.directions } : {}),
      ...(shared.loss ? { loss: shared.loss } : {}),
      ...(shared.batchSize ? { batchSize: shared.batchSize } : {}),
      name: `${state.name ?? 'comparison'}: ${member.label}`,
    };
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
      const initial = member.gradientFlow?.find((f) => f.label === 'initialisation') ?? null;
      if (member.metrics) completed.push({ label: member.label, metrics: member.metrics, gradientFlow: initial });
    }
    state.finding = completed.length > 0 ? comparisonFinding(completed) : null;
    state.status = state.members.every((m) => m.status === 'completed') ? 'completed' : 'failed';
    state.finishedAt = new Date().toISOString();
    await this.save(state);
  }

  private async runMember(state: StoredComparison, index: number): Promise<void> {
    const member = state.members[index]!;
    if (member.status === 'completed' || member.status === 'failed') return;
    if (!member.modelId) {
      const training = this.memberTraining(state.request as ComparisonRequest, index)!;
      const key = recipeKey(training);
      const trained = this.s.models.list().find((m) => m.dataset === training.dataset.id && m.metadata.recipe !== undefined && recipeKey(m.metadata.recipe as ResolvedTrainingRequest) === key);
      if (trained) {
        member.modelId = trained.id;
      } else {
        if (!member.trainingId) {
          const { name: _name, ...body } = training;
          member.trainingId = (await this.trainings.submit({ ...body, name: `${state.name ?? 'comparison'}: ${member.label}` })).id;
          member.status = 'training';
          await this.save(state);
        }
        member.modelId = await this.trainings.waitForModel(member.trainingId, POLL_MS);
      }
      await this.save(state);
    }
    if (!member.surfaceId) {
      member.surfaceId = (await this.s.surfaces.submit(this.surfaceRequest(state, member))).id;
      member.status = 'mapping';
      await this.save(state);
    }
    for (;;) {
      const surface = await this.s.surfaces.get(member.surfaceId);
      if (surface.status === 'completed') break;
      if (surface.status === 'failed' || surface.status === 'cancelled') {
        throw new Error(`surface ${member.surfaceId} ${surface.status}${surface.error ? `: ${surface.error.message}` : ''}`);
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    member.metrics = surfaceMetrics(await this.s.surfaces.result(member.surfaceId));
    member.gradientFlow = await this.gradientFlows(member);
    member.status = 'completed';
    await this.save(state);
  }

  /**
   * Per-layer gradient norms on the surface's own samples, trained and (when the member was
   * trained here with an epoch-0 checkpoint) at initialisation. Optional extras: a failure
   * (e.g. an engine without the needed gradient kernels) leaves them out, never fails the member.
   */
  private async gradientFlows(member: Omit<ComparisonMemberState, 'surface'>): Promise<GradientFlow[]> {
    const model = this.s.models.get(member.modelId!);
    const surface = await this.s.surfaces.get(member.surfaceId!);
    if (!model || model.format !== 'tfjs-layers' || !this.analysisEvents) return [];
    const initial = member.trainingId ? (await this.trainings.get(member.trainingId)).checkpoints.find((c) => c.epoch === 0) : undefined;
    const points: { label: string; parametersBlob: string | null }[] = [
      ...(initial ? [{ label: 'initialisation', parametersBlob: initial.hash }] : []),
      { label: 'trained', parametersBlob: null },
    ];
    const flows = await Promise.all(points.map(async ({ label, parametersBlob }) => {
      try {
        for (const hash of Object.values(model.files)) await this.s.blobs.publish(hash);
        if (parametersBlob) await this.s.blobs.publish(parametersBlob);
        const { dataset } = surface.provenance;
        if (dataset.hash) await this.s.blobs.publish(dataset.hash);
        const data: GradientFlowJobData = {
          model: { id: model.id, hash: model.hash, name: model.name, format: model.format, files: model.files },
          dataset: { id: dataset.id, hash: dataset.hash, split: dataset.split, samples: dataset.samples, sampleSeed: dataset.sampleSeed },
          loss: surface.provenance.loss,
          batchSize: surface.provenance.batchSize,
          label,
          parametersBlob,
        };
        const job = await this.analysis.add('gradient-flow', data, { attempts: 1, removeOnComplete: { age: 3600 }, removeOnFail: { age: 86400 } });
        return (await job.waitUntilFinished(this.analysisEvents!, GRADIENT_FLOW_TIMEOUT_MS)) as GradientFlow;
      } catch {
        return null;
      }
    }));
    return flows.filter((f): f is GradientFlow => f !== null);
  }

  async list(): Promise<StoredComparison[]> {
    const ids = await this.s.redis.zrevrange(this.s.keys.comparisons, 0, -1);
    const states = await Promise.all(ids.map((id) => this.load(id)));
    return states.filter((s): s is StoredComparison => s !== null);
  }

  /** The record with each finished member's surface inlined. */
  async get(id: string): Promise<ComparisonRecord> {
    const state = await this.load(id);
    if (!state) throw notFound('comparison', id);
    const members = await Promise.all(
      state.members.map(async (m) => ({ ...m, surface: m.status === 'completed' && m.surfaceId ? await this.s.surfaces.result(m.surfaceId) : null })),
    );
    return { ...state, members };
  }
}

const services = new WeakMap<AppServices, ComparisonService>();

export default async function comparisonRoutes(app: FastifyInstance) {
  let comparisons = services.get(app.services);
  if (!comparisons) {
    comparisons = new ComparisonService(app.services, await trainingService(app));
    services.set(app.services, comparisons);
    await comparisons.start();
    const started = comparisons;
    app.addHook('onClose', async () => started.close());
  }
  const service = comparisons;

  app.post(
    '/comparisons',
    {
      schema: {
        tags: ['comparisons'],
        summary: 'Compare members on the identical grid with the same directions seed and samples',
        description:
          'Each member is a stored model or a zoo architecture (trained on shared.dataset first unless a stored model was trained with the identical recipe). ' +
          'One surface per member with the same dataset selection, grid, direction seed/normalization, loss and batch size; then surfaceMetrics per member and a finding. ' +
          'Poll GET /api/v1/comparisons/{id}; each member links its trainingId and surfaceId (their SSE streams show live progress).',
        body: ComparisonRequest,
        response: { 202: ComparisonRecord, ...errorResponses },
      },
    },
    async (request, reply) => {
      const record = await service.submit(request.body as ComparisonRequest);
      return reply.status(202).header('location', record.links.self).send(record);
    },
  );

  app.get(
    '/comparisons',
    {
      schema: {
        tags: ['comparisons'],
        summary: 'All comparisons, newest first (members without inlined surfaces)',
        response: { 200: Type.Object({ items: Type.Array(Type.Unknown()) }) },
      },
    },
    async () => ({ items: await service.list() }),
  );

  app.get(
    '/comparisons/:id',
    {
      schema: {
        tags: ['comparisons'],
        summary: 'Every member’s status, surface and metrics, and the finding once all are done',
        params: IdParams,
        response: { 200: ComparisonRecord, ...errorResponses },
      },
    },
    async (request) => service.get((request.params as { id: string }).id),
  );
}
