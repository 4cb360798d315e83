import './sandbox.ts';
import { createHash } from 'node:crypto';
import { UnrecoverableError, type SandboxedJob } from 'bullmq';
import { Redis } from 'ioredis';
import { chunkJob, ContractError, evaluationRows, linspace, lossHasAccuracy, redisKeys, type ChunkJobData, type ChunkValues, type Engine, type SurfacePlan } from '../../contract/index.ts';
import { modelFormat } from '../../contract/formats/index.ts';
import { Artifacts, storedParameters } from '../artifacts.ts';
import { workerConfig } from '../config.ts';
import { workerLog } from '../log.ts';
import { evaluationData } from '../datasets/select.ts';
import type { Evaluator } from '../engine/evaluator.ts';
import { createEvaluator } from '../engine/registry.ts';
import { BnRecalibrator } from '../engine/onnx/bn-recalibration.ts';
import { bootstrapSummary } from '../numeric/bootstrap.ts';
import { perturb } from '../numeric/vector.ts';
import { SurfaceStateStore } from '../surface-state.ts';

/**
 * Sandboxed processor (its own process, so CPU-bound evaluation never stalls the parent's lock
 * renewal). Evaluates one chunk: some points of one grid row. Engines, models, samples and directions are cached
 * across chunks: a process typically serves every chunk of a surface.
 */
const config = workerConfig();
const log = workerLog(config);
const engineSettings = { ...config, onWarning: (message: string) => log.warn(message) };
const keys = redisKeys(config.LA_NAMESPACE);
const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
const artifacts = new Artifacts(redis, keys);
const state = new SurfaceStateStore(redis, keys);

interface Loaded {
  evaluator: Evaluator;
  modelKey: string;
  dataKey: string;
  /** sha256 of the chosen sample indices: recorded for every surface, cached data or not. */
  indicesHash: string;
  theta: Float32Array;
}
const loaded = new Map<string, Loaded>();
let directionsCache: { hash: string; x: Float32Array; y: Float32Array | null } | null = null;

let recalibration: { key: string; recalibrator: BnRecalibrator } | null = null;

/** Models an engine refused (engine:hash), so a fallback is taken at once for later chunks. */
const refused = new Set<string>();

/**
 * The dataset selection of row iy: with request.splits, row k evaluates split k. A preview pass takes
 * the first previewSamples of the same seeded choice (selectSamples is a partial shuffle: a shorter
 * choice is a prefix of a longer one).
 */
function rowDataset(plan: SurfacePlan, iy: number, previewSamples: number | null): SurfacePlan['dataset'] {
  const split = plan.splits?.[iy];
  const selection = split ? { ...plan.dataset, split: split.split, samples: split.samples } : plan.dataset;
  return previewSamples === null ? selection : { ...selection, samples: previewSamples };
}

/** The BN recalibrator of the plan's model and calibration samples (request.bnRecalibration), cached across chunks. */
async function recalibratorFor(plan: SurfacePlan): Promise<BnRecalibrator | null> {
  const options = plan.bnRecalibration;
  if (!options) return null;
  const key = `${plan.model.hash}:${plan.dataset.id}:${plan.dataset.hash}:${plan.loss}:${options.samples}:${options.sampleSeed}:${options.batchSize}`;
  if (recalibration?.key !== key) {
    await recalibration?.recalibrator.dispose();
    recalibration = null;
    const recalibrator = await BnRecalibrator.create(await artifacts.model(plan.model), { loss: plan.loss, batchSize: options.batchSize, threads: config.LA_ONNX_THREADS });
    await recalibrator.setData(evaluationData(await artifacts.dataset(plan.dataset), 'train', options.samples, options.sampleSeed).data);
    recalibration = { key, recalibrator };
  }
  return recalibration.recalibrator;
}

/** The engine loaded with the model and the samples of row iy (a preview's subset of them). */
async function evaluatorFor(plan: SurfacePlan, surfaceId: string, iy: number, previewSamples: number | null): Promise<Loaded> {
  // Only an engine that evaluates the format is a fallback: otherwise its refusal ("not a tfjs
  // Layers model") would hide the real error of the engine the format needs.
  const fallback = plan.engineFallback && modelFormat(plan.model.format).capabilities.engines.includes(plan.engineFallback) ? plan.engineFallback : null;
  if (!fallback || !refused.has(`${plan.engine}:${plan.model.hash}`)) {
    try {
      return await evaluatorOn(plan.engine, plan, surfaceId, iy, previewSamples);
    } catch (err) {
      if (!(err instanceof ContractError) || !fallback) throw err;
      refused.add(`${plan.engine}:${plan.model.hash}`);
    }
  }
  return evaluatorOn(fallback, plan, surfaceId, iy, previewSamples);
}

async function evaluatorOn(engine: Engine, plan: SurfacePlan, surfaceId: string, iy: number, previewSamples: number | null): Promise<Loaded> {
  let entry = loaded.get(engine);
  if (!entry) {
    entry = { evaluator: await createEvaluator(engine, engineSettings), modelKey: '', dataKey: '', indicesHash: '', theta: new Float32Array(0) };
    loaded.set(engine, entry);
  }
  const model = await artifacts.model(plan.model);
  if (entry.modelKey !== plan.model.hash) {
    entry.modelKey = '';
    await entry.evaluator.load(model);
    entry.theta = storedParameters(model);
    entry.modelKey = plan.model.hash;
    entry.dataKey = '';
  }
  const d = rowDataset(plan, iy, previewSamples);
  const dataKey = `${d.id}:${d.hash}:${d.split}:${d.samples}:${d.sampleSeed}`;
  if (entry.dataKey !== dataKey) {
    const { data, indices } = evaluationData(await artifacts.dataset(d), d.split, d.samples, d.sampleSeed);
    await entry.evaluator.setData(data);
    entry.dataKey = dataKey;
    entry.indicesHash = createHash('sha256').update(new Uint8Array(indices.buffer, indices.byteOffset, indices.byteLength)).digest('hex');
  }
  // The surface's samples are its first split's (side-by-side splits record their sample counts only); a preview's are not the surface's.
  if ((!plan.splits || iy === 0) && previewSamples === null) await redis.hsetnx(keys.surface(surfaceId), 'indicesHash', entry.indicesHash);
  return entry;
}

async function directionsFor(hash: string, parameterCount: number) {
  if (directionsCache?.hash !== hash) {
    const bytes = await artifacts.blob(hash);
    const all = new Float32Array(bytes.slice().buffer);
    directionsCache = { hash, x: all.subarray(0, parameterCount), y: all.length > parameterCount ? all.subarray(parameterCount, 2 * parameterCount) : null };
  }
  return directionsCache;
}

export default async function processChunk(job: SandboxedJob<ChunkJobData>): Promise<{ points: number; preview?: boolean; cancelled?: boolean }> {
  const { surfaceId, index, iy, ix: columns, level, previewSamples } = chunkJob(job.data);
  try {
    const current = await state.read(surfaceId);
    // A failed surface (another chunk's error or time limit) needs none of its other chunks.
    if (current.cancelled || current.status === 'failed') return { points: 0, cancelled: true };
    const plan = state.plan(current);
    if (!current.directions) throw new Error('the surface has no directions yet');
    const { hash } = current.directions;
    const started = performance.now();
    const { evaluator, theta } = await evaluatorFor(plan, surfaceId, iy, previewSamples);
    const recalibrator = await recalibratorFor(plan);
    const directions = await directionsFor(hash, theta.length);
    const x = linspace(plan.grid.x);
    const beta = plan.grid.y ? linspace(plan.grid.y)[iy]! : 0;
    const point = new Float32Array(theta.length);
    const withAccuracy = lossHasAccuracy(plan.loss);
    const values: ChunkValues = { index, iy, ix: columns, level, loss: [], accuracy: withAccuracy ? [] : null, lossStdError: [], nonFinite: [], seconds: 0, engine: evaluator.info };
    // A preview is the loss on a subset, for the eye: no bootstrap of it.
    const bootstrap = previewSamples === null ? (plan.bootstrap ?? null) : null;
    const perSampleLosses = bootstrap ? new Float64Array(plan.dataset.samples) : undefined;
    if (bootstrap) values.lossBootstrap = { low: [], high: [], stdError: [] };
    for (const [k, ix] of columns.entries()) {
      if (k > 0 && (await state.isCancelled(surfaceId))) return { points: k, cancelled: true };
      perturb(theta, directions.x, x[ix]!, directions.y, beta, point);
      await recalibrator?.recalibrate(point);
      await evaluator.setParameters(point);
      const result = await evaluator.evaluate({ loss: plan.loss, batchSize: plan.batchSize, perSampleLosses });
      const finite = Number.isFinite(result.loss);
      values.loss.push(finite ? result.loss : null);
      if (!finite) values.nonFinite.push({ ix, value: String(result.loss) });
      values.accuracy?.push(result.accuracy);
      values.lossStdError!.push(result.lossStdError);
      if (bootstrap) {
        const summary = finite ? bootstrapSummary(perSampleLosses!, bootstrap.resamples, bootstrap.seed) : null;
        values.lossBootstrap!.low.push(summary?.low ?? null);
        values.lossBootstrap!.high.push(summary?.high ?? null);
        values.lossBootstrap!.stdError.push(summary?.stdError ?? null);
      }
      await job.updateProgress(Math.round((100 * (k + 1)) / columns.length));
    }
    values.seconds = (performance.now() - started) / 1000;
    if (previewSamples !== null) {
      // Stored nowhere, counted nowhere: the event is all there is of it.
      await state.event(surfaceId, { event: 'preview', data: { ...values, samples: previewSamples } });
      return { points: columns.length, preview: true };
    }
    const total = plan.grid.x.num * evaluationRows(plan);
    await state.recordChunk(surfaceId, values, total);
    return { points: columns.length };
  } catch (err) {
    // Bad input never gets better by retrying.
    if (err instanceof ContractError) throw new UnrecoverableError(err.message);
    throw err;
  }
}
