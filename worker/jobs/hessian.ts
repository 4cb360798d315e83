import './sandbox.ts';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { Job, Queue, UnrecoverableError, type SandboxedJob } from 'bullmq';
import { Redis } from 'ioredis';
import { ContractError, JOB_OPTIONS, linspace, QUEUES, redisKeys, storedValues, type RedisKeys, type SurfacePlan } from '../../contract/index.ts';
import type { GradientFlow, GradientFlowJobData } from '../../contract/metrics/gradient-flow.ts';
import { hessianHelperJobId, hessianJobId, hessianSummary, type HessianJobData, type HessianMapResult, type HessianParameters } from '../../contract/metrics/hessian.ts';
import { spectrumJobId, spectrumKeys, type SpectrumJobData, type SpectrumResult } from '../../contract/metrics/spectrum.ts';
import { Artifacts, storedParameters } from '../artifacts.ts';
import { modelFormat } from '../../contract/formats/index.ts';
import { createGradientEngine, type GradientEngine } from '../autodiff/index.ts';
import { hessianHelperCount, workerConfig } from '../config.ts';
import { workerLog } from '../log.ts';
import { evaluationData } from '../datasets/select.ts';
import type { EvalData, ModelArtifact } from '../engine/evaluator.ts';
import { initTfjs, type TfjsBackendOptions } from '../engine/tfjs/backend.ts';
import { autodiffEngineInfo } from '../analysis/autodiff-engine-info.ts';
import { gradientFlowOfArtifact } from '../analysis/gradient-flow.ts';
import { initialisationParameters } from '../analysis/initial-parameters.ts';
import { SHIFT_FACTOR } from '../hessian/eigen-ratio.ts';
import { hessianMapCells, hessianPointKey, hessianPoints, type HessianCell } from '../hessian/hessian-map.ts';
import { HessianMapRun, SupersededRunError } from '../hessian-map-state.ts';
import { hessianSpectrum } from '../hessian/spectrum.ts';
import { hessianAt } from '../hessian/hvp.ts';
import { DEFAULT_BASIS_SIZE } from '../hessian/lanczos.ts';
import { perturb } from '../numeric/vector.ts';
import { SurfaceStateStore } from '../surface-state.ts';

/**
 * Analysis jobs on QUEUES.analysis, by job name:
 * - 'hessian-map' (HessianJobData): the |λmin/λmax| map over a sub-grid of a COMPLETED surface,
 *   with the surface's model, samples and directions; progress { done, total } per point; each
 *   finished point is kept at hessianKeys(ns).points(surfaceId, jobId) until the map is done, so a
 *   rerun after a killed worker resumes; the HessianMapResult is stored at
 *   hessianKeys(ns).result(surfaceId) and returned. Once it holds its first point, a map of two or
 *   more points left queues LA_HESSIAN_HELPERS 'hessian-map-helper' jobs, so that idle workers
 *   compute points too: job and helpers claim points one at a time (worker/hessian-map-state.ts),
 *   renewing the claim at each product, and a killed worker's point is retaken when its claim
 *   expires. The job, once nothing is left to claim, waits for the points others hold, then
 *   assembles the map in row-major order. A point is the same whoever computes it (hessianPoints).
 *   Once a request for other settings names another job as the surface's map, the job stops at
 *   its next claim or renewal and fails, unretried, as superseded, storing no map.
 * - 'hessian-map-helper' (HessianJobData): computes claimable points of its map while the map's
 *   job is queued or running; returns how many it computed.
 * - 'spectrum' (SpectrumJobData): top-k eigenvalues, Hutchinson trace and SLQ density at θ* or a
 *   grid point of a completed surface; progress { done, total } in Hessian-vector products; the
 *   SpectrumResult is stored at spectrumKeys(ns).result(jobId) and returned.
 * - 'gradient-flow' (GradientFlowJobData): per-layer gradient norms; the GradientFlow is returned.
 * All on the exact gradient engine (worker/autodiff: reverse mode and forward-over-reverse on
 * onnxruntime), for tfjs Layers and ONNX models alike. A model with an operator the engine cannot
 * differentiate fails the job at once (UnsupportedOperatorError is a ContractError), naming it.
 * onnxruntime sessions take LA_ONNX_THREADS intra-op threads, as the surfaces' do.
 */
export interface AnalysisContext {
  redis: Redis;
  keys: RedisKeys;
  namespace: string;
  /** The worker's tfjs settings (LA_TFJS_BACKEND); default auto. */
  tfjs?: TfjsBackendOptions;
  /** onnxruntime intra-op threads of the gradient engine's sessions (LA_ONNX_THREADS); default 1. */
  onnxThreads?: number;
  /** Bytes of shared product values the exact engine may keep per point (LA_HVP_CACHE_MB); default the engine's. */
  primalCacheBytes?: number;
  /** Helper jobs a Hessian map queues (LA_HESSIAN_HELPERS); default 0. */
  hessianHelpers?: number;
  /** How long a claimed map point stays claimed without a product (LA_LOCK_MS, as a job's lock); default 30 s. */
  claimLeaseMs?: number;
}

type AnalysisJob<Data> = Job<Data> | SandboxedJob<Data>;

/** The analysis queue's jobs: the name tells the data (HessianMapService, SpectrumService and ComparisonService queue each name with its type). */
type NamedAnalysisJob =
  | (AnalysisJob<HessianJobData> & { name: 'hessian-map' })
  | (AnalysisJob<HessianJobData> & { name: 'hessian-map-helper' })
  | (AnalysisJob<SpectrumJobData> & { name: 'spectrum' })
  | (AnalysisJob<GradientFlowJobData> & { name: 'gradient-flow' });
const ANALYSIS_JOB_NAMES: readonly string[] = ['hessian-map', 'hessian-map-helper', 'spectrum', 'gradient-flow'] satisfies NamedAnalysisJob['name'][];

/** As BullMQ hands a job over, its data untyped until the name is checked. */
type QueuedJob = Job | SandboxedJob;

function isNamedAnalysisJob(job: QueuedJob): job is NamedAnalysisJob {
  return ANALYSIS_JOB_NAMES.includes(job.name);
}

/** What a 'hessian-map-helper' job returns. */
export interface HessianHelperResult {
  computed: number;
}

/** BullMQ states in which a map's job may still claim and assemble its points. */
const LIVE_JOB_STATES: readonly string[] = ['active', 'waiting', 'delayed', 'prioritized', 'waiting-children'];

/** The first `samples` of the selection (the selection is already a seeded random subset). */
function firstSamples(data: EvalData, samples: number): EvalData {
  if (samples >= data.n) return data;
  const features = data.x.length / data.n;
  const targets = data.y.length / data.n;
  return { x: data.x.slice(0, samples * features), inputShape: data.inputShape, y: data.y.slice(0, samples * targets), n: samples };
}

/** A completed surface's model, θ*, directions, axes and first `samples` evaluation samples. */
interface SurfaceContext {
  plan: SurfacePlan;
  artifact: ModelArtifact;
  theta: Float32Array;
  directions: { x: Float32Array; y: Float32Array | null };
  axes: { x: number[]; y: number[] | null };
  data: EvalData;
}

export function analysisProcessor(ctx: AnalysisContext) {
  const state = new SurfaceStateStore(ctx.redis, ctx.keys);
  const artifacts = new Artifacts(ctx.redis, ctx.keys);

  async function completedSurface(surfaceId: string, samples: number): Promise<SurfaceContext> {
    const current = await state.read(surfaceId);
    if (current.status !== 'completed') throw new ContractError('surfaceId', `surface ${surfaceId} is ${current.status ?? 'unknown'}, not completed`);
    const plan = state.plan(current);
    if (!modelFormat(plan.model.format).capabilities.gradients) throw new ContractError('model', `${plan.model.format} models have no gradients`);
    const { hash } = current.directions!;
    const artifact = await artifacts.model(plan.model);
    const theta = storedParameters(artifact);
    const all = new Float32Array((await artifacts.blob(hash)).slice().buffer);
    const directions = { x: all.subarray(0, theta.length), y: plan.grid.y ? all.subarray(theta.length, 2 * theta.length) : null };
    const { data: selected } = evaluationData(await artifacts.dataset(plan.dataset), plan.dataset.split, plan.dataset.samples, plan.dataset.sampleSeed);
    const axes = { x: linspace(plan.grid.x), y: plan.grid.y ? linspace(plan.grid.y) : null };
    return { plan, artifact, theta, directions, axes, data: firstSamples(selected, samples) };
  }

  /** The exact engine on the surface's samples, BN with its moving statistics as the surface's points. */
  async function hessianEngine(surface: SurfaceContext, parameters: HessianParameters): Promise<GradientEngine> {
    const engine = await createGradientEngine(surface.artifact, {
      parameters, batchNorm: 'moving', loss: surface.plan.loss, batchSize: surface.plan.batchSize, threads: ctx.onnxThreads ?? 1, primalCacheBytes: ctx.primalCacheBytes,
    });
    try {
      await engine.setData(surface.data);
    } catch (err) {
      await engine.dispose();
      throw err;
    }
    return engine;
  }

  const worker = `${hostname()}-${process.pid}`;
  const leaseMs = ctx.claimLeaseMs ?? 30_000;
  // Claims are renewed at most this often (each product could otherwise cost a round trip) and waits poll as often.
  const renewEveryMs = Math.min(leaseMs / 3, 1000);
  let queue: Queue | undefined;
  const analysisQueue = () => (queue ??= new Queue(QUEUES.analysis, { connection: ctx.redis, prefix: ctx.keys.bullPrefix }));

  /**
   * Computes the points `claim` hands out on the surface's engine, storing each in `run`, the claim
   * renewed at every product (throttled) so a live worker keeps its point and a killed one loses
   * it; `onStored` runs after each point stored, `onTick` at each renewal. Stops when `claim`
   * hands out nothing or the run is closed; throws SupersededRunError once it is superseded.
   */
  async function computeClaimed(
    surface: SurfaceContext,
    request: HessianJobData['request'],
    engine: GradientEngine,
    run: HessianMapRun,
    claim: () => Promise<string | null>,
    onStored: (finished: number) => Promise<void>,
    onTick: () => Promise<void> = async () => undefined,
  ): Promise<void> {
    const cells = new Map(hessianMapCells(surface.axes, request.points).map((cell) => [hessianPointKey(cell.iy, cell.ix), cell]));
    let held: string | null = null;
    let renewedAt = 0;
    let closed = false;
    await hessianPoints({
      hessianAt: (point) => {
        const apply = hessianAt(engine, point);
        return async (v) => {
          if (held !== null && performance.now() - renewedAt >= renewEveryMs) {
            renewedAt = performance.now();
            // A lost claim (it expired under a slow product) is computed on: the point is the same, the first store wins.
            await run.renew(held);
            await onTick();
          }
          return apply(v);
        };
      },
      theta: surface.theta,
      directions: surface.directions,
      axes: surface.axes,
      mask: engine.mask,
      maxSteps: request.maxSteps,
      tolerance: request.tolerance,
      seed: request.seed,
      next: async (): Promise<HessianCell | null> => {
        held = closed ? null : await claim();
        renewedAt = performance.now();
        return held === null ? null : cells.get(held)!;
      },
      onPoint: async (point) => {
        const finished = await run.store(point);
        if (finished === null) closed = true;
        else await onStored(finished);
      },
    });
  }

  async function processHessianMap(job: AnalysisJob<HessianJobData>): Promise<HessianMapResult> {
    const { surfaceId, request } = job.data;
    const started = performance.now();
    const surface = await completedSurface(surfaceId, request.samples);
    const jobId = hessianJobId(surfaceId, request);
    const run = new HessianMapRun(ctx.redis, ctx.namespace, surfaceId, jobId, worker, leaseMs);
    const cells = hessianMapCells(surface.axes, request.points);
    const order = cells.map((cell) => hessianPointKey(cell.iy, cell.ix));
    let reported = -1;
    const report = async (done: number) => {
      if (done === reported) return;
      reported = done;
      await job.updateProgress({ done, total: cells.length });
    };
    let helpersQueued = false;
    const engine = await hessianEngine(surface, request.parameters);
    try {
      await computeClaimed(
        surface,
        request,
        engine,
        run,
        async () => {
          for (;;) {
            const claim = await run.claim(order, true);
            if (claim.point !== null) {
              if (!helpersQueued) {
                helpersQueued = true;
                // Added only once the run is open (its claims exist), so a helper never finds it not yet started.
                if (cells.length - (await run.finishedCount()) >= 2) {
                  for (let k = 1; k <= (ctx.hessianHelpers ?? 0); k++) {
                    await analysisQueue().add('hessian-map-helper', job.data, { jobId: hessianHelperJobId(jobId, k), ...JOB_OPTIONS.hessianMapHelper });
                  }
                }
              }
              return claim.point;
            }
            await report(await run.finishedCount());
            if (claim.held === 0) return null;
            // Others hold the rest: their points land, or their claims expire and are retaken here.
            await sleep(renewEveryMs);
          }
        },
        report,
        async () => report(await run.finishedCount()),
      );
      const finished = await run.finished();
      const points = order.map((key) => {
        const point = finished.get(key);
        if (!point) throw new Error(`point ${key} of ${jobId} is missing from its finished points`);
        return point;
      });
      const columns = new Set(points.map((p) => p.ix)).size;
      const result: HessianMapResult = {
        surfaceId,
        kind: surface.axes.y ? '2d' : '1d',
        shape: [points.length / columns, columns],
        points,
        summary: hessianSummary(points),
        settings: {
          ...request,
          samples: surface.data.n,
          differentiated: engine.mask.reduce((n, m) => n + m, 0),
          products: 'exact',
          batchSize: surface.plan.batchSize,
          threads: ctx.onnxThreads ?? 1,
          workers: await run.workers(),
          lanczos: { basisSize: DEFAULT_BASIS_SIZE, shiftFactor: SHIFT_FACTOR, lambdaMin: 'smallest Ritz value of the same run, tested against tol·|λmin − s|' },
        },
        engine: autodiffEngineInfo(),
        seconds: (performance.now() - started) / 1000,
      };
      await run.close(result);
      return result;
    } finally {
      await engine.dispose();
    }
  }

  /** Points of a running map computed by a worker that would otherwise idle; stops when none is claimable or the map's job ended. */
  async function processHessianHelper(job: AnalysisJob<HessianJobData>): Promise<HessianHelperResult> {
    const { surfaceId, request } = job.data;
    const jobId = hessianJobId(surfaceId, request);
    const ownerLive = async () => {
      const owner = await Job.fromId(analysisQueue(), jobId);
      return owner !== undefined && LIVE_JOB_STATES.includes(await owner.getState());
    };
    if (!(await ownerLive())) return { computed: 0 };
    const surface = await completedSurface(surfaceId, request.samples);
    const run = new HessianMapRun(ctx.redis, ctx.namespace, surfaceId, jobId, worker, leaseMs);
    const order = hessianMapCells(surface.axes, request.points).map((cell) => hessianPointKey(cell.iy, cell.ix));
    const engine = await hessianEngine(surface, request.parameters);
    let computed = 0;
    try {
      await computeClaimed(surface, request, engine, run, async () => ((await ownerLive()) ? (await run.claim(order, false)).point : null), async () => void computed++);
      return { computed };
    } catch (err) {
      // The map's job fails for this; its helper just stops.
      if (err instanceof SupersededRunError) return { computed };
      throw err;
    } finally {
      await engine.dispose();
    }
  }

  async function processSpectrum(job: AnalysisJob<SpectrumJobData>): Promise<SpectrumResult> {
    const { surfaceId, request } = job.data;
    const started = performance.now();
    const surface = await completedSurface(surfaceId, request.samples);
    let x = 0;
    let y = 0;
    if (request.point) {
      const { ix, iy } = request.point;
      if (ix >= surface.axes.x.length) throw new ContractError('point.ix', `is ${ix}, the surface has ${surface.axes.x.length} columns`);
      if (iy >= (surface.axes.y?.length ?? 1)) throw new ContractError('point.iy', `is ${iy}, the surface has ${surface.axes.y?.length ?? 1} row(s)`);
      x = surface.axes.x[ix]!;
      y = surface.axes.y ? surface.axes.y[iy]! : 0;
    }
    const point = perturb(surface.theta, surface.directions.x, x, surface.directions.y, y, new Float32Array(surface.theta.length));
    const engine = await hessianEngine(surface, request.parameters);
    try {
      const total = request.maxSteps + request.traceSamples + request.densitySteps * request.densityVectors;
      let done = 0;
      const apply = hessianAt(engine, point);
      const spectrum = await hessianSpectrum(
        async (v) => {
          const product = await apply(v);
          // The top-k run may stop before maxSteps: progress counts products, capped at the plan.
          await job.updateProgress({ done: Math.min(++done, total), total });
          return product;
        },
        engine.mask,
        request,
      );
      const result: SpectrumResult = {
        surfaceId,
        point: { ix: request.point?.ix ?? null, iy: request.point?.iy ?? null, x, y },
        ...spectrum,
        settings: {
          ...spectrum.settings,
          samples: surface.data.n,
          parameters: request.parameters,
          differentiated: engine.mask.reduce((n, m) => n + m, 0),
          products: 'exact',
        },
        engine: autodiffEngineInfo(),
        seconds: (performance.now() - started) / 1000,
      };
      await ctx.redis.set(spectrumKeys(ctx.namespace).result(spectrumJobId(surfaceId, request)), storedValues.spectrum.write(result));
      return result;
    } finally {
      await engine.dispose();
    }
  }

  async function processGradientFlow(job: AnalysisJob<GradientFlowJobData>): Promise<GradientFlow> {
    const request = job.data;
    if (!modelFormat(request.model.format).capabilities.gradients) throw new ContractError('model', `${request.model.format} models have no gradients`);
    const artifact = await artifacts.model(request.model);
    const arrays = await artifacts.dataset(request.dataset);
    const { parameters } = request;
    let flat: Float32Array;
    if (parameters.source === 'stored') {
      flat = storedParameters(artifact);
    } else {
      if (arrays.classes === null) throw new ContractError('dataset', `${request.dataset.id} is not a classification set; zoo models are classifiers`);
      await initTfjs(ctx.tfjs);
      flat = await initialisationParameters(parameters.architecture, parameters.seed, { inputShape: arrays.inputShape, classes: arrays.classes }, artifact.parameters);
    }
    const { data } = evaluationData(arrays, request.dataset.split, request.dataset.samples, request.dataset.sampleSeed);
    return gradientFlowOfArtifact(artifact, data, { loss: request.loss, label: request.label, flat, batchSize: request.batchSize, threads: ctx.onnxThreads ?? 1 });
  }

  return async function processAnalysis(job: QueuedJob): Promise<HessianMapResult | HessianHelperResult | SpectrumResult | GradientFlow> {
    try {
      if (!isNamedAnalysisJob(job)) throw new ContractError('name', `unknown analysis job "${job.name}"`);
      switch (job.name) {
        case 'hessian-map':
          return await processHessianMap(job);
        case 'hessian-map-helper':
          return await processHessianHelper(job);
        case 'spectrum':
          return await processSpectrum(job);
        case 'gradient-flow':
          return await processGradientFlow(job);
      }
    } catch (err) {
      // Bad input never gets better by retrying, nor does a map whose settings were replaced.
      if (err instanceof ContractError || err instanceof SupersededRunError) throw new UnrecoverableError(err.message);
      throw err;
    }
  };
}

let sandboxed: ReturnType<typeof analysisProcessor> | null = null;

/** Sandboxed entry (BullMQ Worker given this file's path): one Redis connection per child process. */
export default function processSandboxedAnalysis(job: SandboxedJob): Promise<HessianMapResult | HessianHelperResult | SpectrumResult | GradientFlow> {
  if (!sandboxed) {
    const config = workerConfig();
    const log = workerLog(config);
    sandboxed = analysisProcessor({
      redis: new Redis(config.REDIS_URL, { maxRetriesPerRequest: null }),
      keys: redisKeys(config.LA_NAMESPACE),
      namespace: config.LA_NAMESPACE,
      tfjs: { backend: config.LA_TFJS_BACKEND, onWarning: (message) => log.warn(message) },
      onnxThreads: config.LA_ONNX_THREADS,
      primalCacheBytes: config.LA_HVP_CACHE_MB * 2 ** 20,
      hessianHelpers: hessianHelperCount(config),
      claimLeaseMs: config.LA_LOCK_MS,
    });
  }
  return sandboxed(job);
}
