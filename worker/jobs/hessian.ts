import './sandbox.ts';
import { UnrecoverableError, type Job, type SandboxedJob } from 'bullmq';
import { Redis } from 'ioredis';
import { ContractError, CROSS_ENTROPY_FORM, linspace, redisKeys, type RedisKeys } from '../../contract/index.ts';
import type { GradientFlow, GradientFlowJobData } from '../../contract/metrics/gradient-flow.ts';
import { hessianJobId, hessianKeys, hessianSummary, type HessianJobData, type HessianMapResult, type HessianPoint } from '../../contract/metrics/hessian.ts';
import { Artifacts, initialParameters } from '../artifacts.ts';
import { workerConfig } from '../config.ts';
import { evaluationData } from '../datasets/select.ts';
import type { EvalData } from '../engine/evaluator.ts';
import { initTfjs } from '../engine/tfjs/backend.ts';
import { createGradientEvaluator } from '../engine/tfjs/gradient.ts';
import { loadLayersModel } from '../engine/tfjs/load-model.ts';
import { gradientFlowOfArtifact } from '../analysis/gradient-flow.ts';
import { initialisationParameters } from '../analysis/initial-parameters.ts';
import { SHIFT_FACTOR } from '../hessian/eigen-ratio.ts';
import { hessianMap, hessianPointKey, trainableMask } from '../hessian/hessian-map.ts';
import { HVP_EPSILON_SCALE } from '../hessian/hvp.ts';
import { SurfaceState } from '../surface-state.ts';

/**
 * Analysis jobs on ANALYSIS_QUEUE, by job name:
 * - 'hessian-map' (HessianJobData): the |λmin/λmax| map over a sub-grid of a COMPLETED surface,
 *   with the surface's model, samples and directions; progress { done, total } per point; each
 *   finished point is kept at hessianKeys(ns).points(surfaceId, jobId) until the map is done, so a
 *   rerun after a killed worker resumes; the HessianMapResult is stored at
 *   hessianKeys(ns).result(surfaceId) and returned.
 * - 'gradient-flow' (GradientFlowJobData): per-layer gradient norms; the GradientFlow is returned.
 * Gradients are first-order tfjs only (tfjs-layers models); onnx models are refused as bad input.
 */
export interface AnalysisContext {
  redis: Redis;
  keys: RedisKeys;
  namespace: string;
}

type AnalysisJob = Job | SandboxedJob;

/** Finished points of a run nobody resumes (e.g. its job failed and was not requested again) expire after a week. */
const FINISHED_POINTS_TTL_SECONDS = 7 * 24 * 3600;

/** The first `samples` of the selection (the selection is already a seeded random subset). */
function firstSamples(data: EvalData, samples: number): EvalData {
  if (samples >= data.n) return data;
  const features = data.x.length / data.n;
  const targets = data.y.length / data.n;
  return { x: data.x.slice(0, samples * features), inputShape: data.inputShape, y: data.y.slice(0, samples * targets), n: samples };
}

export function analysisProcessor(ctx: AnalysisContext) {
  const state = new SurfaceState(ctx.redis, ctx.keys);
  const artifacts = new Artifacts(ctx.redis, ctx.keys);

  async function processHessianMap(job: AnalysisJob): Promise<HessianMapResult> {
    const { surfaceId, request } = job.data as HessianJobData;
    const started = performance.now();
    const current = await state.read(surfaceId);
    if (current.status !== 'completed') throw new ContractError('surfaceId', `surface ${surfaceId} is ${current.status ?? 'unknown'}, not completed`);
    const plan = state.plan(current);
    if (plan.model.format !== 'tfjs-layers') throw new ContractError('model', 'Hessian maps need a tfjs Layers model (first-order tfjs gradients)');
    const { hash } = JSON.parse(current.directions!) as { hash: string };
    const artifact = await artifacts.model(plan.model);
    const theta = initialParameters(artifact);
    const all = new Float32Array((await artifacts.blob(hash)).slice().buffer);
    const directions = { x: all.subarray(0, theta.length), y: plan.grid.y ? all.subarray(theta.length, 2 * theta.length) : null };
    const { data: selected } = evaluationData(await artifacts.dataset(plan.dataset), plan.dataset.split, plan.dataset.samples, plan.dataset.sampleSeed);
    const data = firstSamples(selected, request.samples);
    const keys = hessianKeys(ctx.namespace);
    const finishedKey = keys.points(surfaceId, hessianJobId(surfaceId, request));
    const finished = new Map(Object.entries(await ctx.redis.hgetall(finishedKey)).map(([key, json]) => [key, JSON.parse(json) as HessianPoint]));
    const engine = { ...(await initTfjs()), crossEntropy: CROSS_ENTROPY_FORM };
    const model = await loadLayersModel(artifact);
    const gradients = createGradientEvaluator(model, data, { loss: plan.loss, params: artifact.parameters, batchSize: plan.batchSize });
    try {
      const xs = linspace(plan.grid.x);
      const ys = plan.grid.y ? linspace(plan.grid.y) : null;
      const points = await hessianMap({
        gradient: async (p) => (await gradients.lossAndGradient(p)).gradient,
        theta,
        directions,
        axes: { x: xs, y: ys },
        mask: trainableMask(artifact.parameters),
        points: request.points,
        maxSteps: request.maxSteps,
        tolerance: request.tolerance,
        seed: request.seed,
        done: finished,
        onPoint: async (point, done, total) => {
          await ctx.redis.multi().hset(finishedKey, hessianPointKey(point.iy, point.ix), JSON.stringify(point)).expire(finishedKey, FINISHED_POINTS_TTL_SECONDS).exec();
          await job.updateProgress({ done, total });
        },
      });
      const columns = new Set(points.map((p) => p.ix)).size;
      const result: HessianMapResult = {
        surfaceId,
        kind: ys ? '2d' : '1d',
        shape: [points.length / columns, columns],
        points,
        summary: hessianSummary(points),
        settings: { ...request, samples: data.n, epsilonScale: HVP_EPSILON_SCALE, shiftFactor: SHIFT_FACTOR },
        engine,
        seconds: (performance.now() - started) / 1000,
      };
      await ctx.redis.multi().set(keys.result(surfaceId), JSON.stringify(result)).del(finishedKey).exec();
      return result;
    } finally {
      gradients.dispose();
      model.dispose();
    }
  }

  async function processGradientFlow(job: AnalysisJob): Promise<GradientFlow> {
    const request = job.data as GradientFlowJobData;
    if (request.model.format !== 'tfjs-layers') throw new ContractError('model', 'gradient flow needs a tfjs Layers model');
    const artifact = await artifacts.model(request.model);
    const arrays = await artifacts.dataset(request.dataset);
    const { parameters } = request;
    let flat: Float32Array;
    if (parameters.source === 'stored') {
      flat = initialParameters(artifact);
    } else {
      if (arrays.classes === null) throw new ContractError('dataset', `${request.dataset.id} is not a classification set; zoo models are classifiers`);
      await initTfjs();
      flat = await initialisationParameters(parameters.architecture, parameters.seed, { inputShape: arrays.inputShape, classes: arrays.classes }, artifact.parameters);
    }
    const { data } = evaluationData(arrays, request.dataset.split, request.dataset.samples, request.dataset.sampleSeed);
    return gradientFlowOfArtifact(artifact, data, { loss: request.loss, label: request.label, flat, batchSize: request.batchSize });
  }

  return async function processAnalysis(job: AnalysisJob): Promise<HessianMapResult | GradientFlow> {
    try {
      if (job.name === 'hessian-map') return await processHessianMap(job);
      if (job.name === 'gradient-flow') return await processGradientFlow(job);
      throw new ContractError('name', `unknown analysis job "${job.name}"`);
    } catch (err) {
      // Bad input never gets better by retrying.
      if (err instanceof ContractError) throw new UnrecoverableError(err.message);
      throw err;
    }
  };
}

let sandboxed: ReturnType<typeof analysisProcessor> | null = null;

/** Sandboxed entry (BullMQ Worker given this file's path): one Redis connection per child process. */
export default function processSandboxedAnalysis(job: SandboxedJob): Promise<HessianMapResult | GradientFlow> {
  if (!sandboxed) {
    const config = workerConfig();
    sandboxed = analysisProcessor({
      redis: new Redis(config.redisUrl, { maxRetriesPerRequest: null }),
      keys: redisKeys(config.namespace),
      namespace: config.namespace,
    });
  }
  return sandboxed(job);
}
