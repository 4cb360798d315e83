import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { ContractError, linspace, type Axis, type Engine, type LossName, type Normalization, type Split, type SurfaceResult } from '../contract/index.ts';
import type { DirectionsExport } from '../contract/exports/directions.ts';
import { checkShapes, DEFAULTS, resolveLoss } from '../server/services/surfaces.ts';
import { VERSION } from '../server/version.ts';
import { storedParameters } from '../worker/artifacts.ts';
import { evaluationData } from '../worker/datasets/select.ts';
import { surfaceDirections } from '../worker/numeric/directions.ts';
import { GAUSSIAN_RNG } from '../worker/numeric/rng.ts';
import { cosine } from '../worker/numeric/vector.ts';
import type { LocalDataset, LocalModel } from './inputs.ts';
import { UsageError } from './usage-error.ts';
import type { ReplyMessage, WorkMessage } from './point-worker.ts';

/** The fields of a surface request (contract/surface.ts SurfaceRequest), resolved the way the service resolves them. */
export interface LocalSurfaceOptions {
  split?: Split;
  samples?: number;
  sampleSeed?: number;
  seed?: number;
  normalization?: Normalization;
  ignore?: 'biasbn' | 'none';
  mode?: 'weights' | 'states';
  x: Axis;
  y?: Axis;
  loss?: LossName;
  batchSize?: number;
  engine?: Engine;
  /** Evaluation processes (default: the machine's cores, at most one per point). */
  workers?: number;
}

const pointWorker = fileURLToPath(new URL('./point-worker.ts', import.meta.url));
const tsxLoader = import.meta.resolve('tsx');

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function concat(a: Float32Array, b: Float32Array | null): Uint8Array {
  const out = new Float32Array(a.length + (b?.length ?? 0));
  out.set(a);
  if (b) out.set(b, a.length);
  return new Uint8Array(out.buffer);
}

/**
 * A 1D or 2D surface computed on this machine, without Redis or the API: the service's defaults,
 * checks, directions (worker/numeric/directions.ts), sample selection and engines, so the same
 * request gives the same values. Points are spread over `workers` processes; each reports every
 * point to `onPoint` as it finishes.
 */
export async function computeLocalSurface(
  model: LocalModel,
  dataset: LocalDataset,
  options: LocalSurfaceOptions,
  onPoint: (done: number, total: number) => void = () => undefined,
): Promise<{ result: SurfaceResult; directions: DirectionsExport }> {
  const split = options.split ?? DEFAULTS.split;
  const available = split === 'both' ? dataset.arrays.train.n + dataset.arrays.test.n : dataset.arrays[split].n;
  if (available === 0) throw new UsageError('--split', `the dataset has no ${split} samples`);
  const samples = options.samples ?? Math.min(DEFAULTS.samples, available);
  if (samples > available) throw new UsageError('--samples', `is ${samples}, but the ${split} split has ${available} samples`);
  const sampleSeed = options.sampleSeed ?? DEFAULTS.sampleSeed;
  try {
    checkShapes(model, dataset);
  } catch (err) {
    throw new UsageError('--dataset', (err as Error).message);
  }
  let loss: LossName;
  try {
    loss = resolveLoss(options.loss, model, dataset);
  } catch (err) {
    throw new UsageError(options.loss ? '--loss' : '--dataset', (err as Error).message);
  }
  const directionOptions = {
    seed: options.seed ?? DEFAULTS.seed,
    normalization: options.normalization ?? DEFAULTS.normalization,
    ignore: options.ignore ?? DEFAULTS.ignore,
    mode: options.mode ?? DEFAULTS.mode,
  };
  const batchSize = options.batchSize ?? DEFAULTS.batchSize;
  const engine = options.engine ?? 'onnx';

  const theta = storedParameters(model.artifact);
  const directions = surfaceDirections(model.artifact.parameters, theta, directionOptions, options.y ? 2 : 1);
  const { data, indices } = evaluationData(dataset.arrays, split, samples, sampleSeed);
  const xs = linspace(options.x);
  const ys = options.y ? linspace(options.y) : null;
  const nx = xs.length;
  const ny = ys?.length ?? 1;
  const points: [number, number, number][] = [];
  for (let iy = 0; iy < ny; iy++) for (let ix = 0; ix < nx; ix++) points.push([iy * nx + ix, xs[ix]!, ys ? ys[iy]! : 0]);

  const lossValues = new Float64Array(nx * ny);
  const accuracyValues = new Array<number | null>(nx * ny).fill(null);
  const stdErrorValues = new Array<number | null>(nx * ny).fill(null);
  const processes = Math.max(1, Math.min(options.workers ?? availableParallelism(), points.length));
  let done = 0;
  const engines = await Promise.all(
    Array.from({ length: processes }, (_, w) =>
      evaluateIn({
        model: model.artifact,
        data,
        engine,
        fallback: options.engine ? null : 'tfjs',
        loss,
        batchSize,
        theta,
        x: directions.x,
        y: directions.y,
        points: points.filter((_, i) => i % processes === w),
      }, (k, value, stdError, accuracy) => {
        lossValues[k] = value;
        stdErrorValues[k] = stdError;
        accuracyValues[k] = accuracy;
        onPoint(++done, points.length);
      }),
    ),
  );

  const nonFinite: SurfaceResult['nonFinite'] = [];
  const lossGrid: (number | null)[][] = [];
  const accuracyGrid: (number | null)[][] = [];
  const stdErrorGrid: (number | null)[][] = [];
  for (let iy = 0; iy < ny; iy++) {
    lossGrid.push([]);
    accuracyGrid.push([]);
    stdErrorGrid.push(stdErrorValues.slice(iy * nx, (iy + 1) * nx));
    for (let ix = 0; ix < nx; ix++) {
      const value = lossValues[iy * nx + ix]!;
      lossGrid[iy]!.push(Number.isFinite(value) ? value : null);
      if (!Number.isFinite(value)) nonFinite.push({ ix, iy, value: String(value) as 'NaN' | 'Infinity' | '-Infinity' });
      accuracyGrid[iy]!.push(accuracyValues[iy * nx + ix]!);
    }
  }
  const provenance: SurfaceResult['provenance'] = {
    model: { id: model.id, name: model.name, hash: model.hash, parameterCount: theta.length },
    dataset: { id: dataset.id, hash: dataset.hash, split, samples, sampleSeed, indicesHash: sha256(new Uint8Array(indices.buffer, indices.byteOffset, indices.byteLength)) },
    directions: {
      ...directionOptions,
      hash: sha256(concat(directions.x, directions.y)),
      cosine: directions.y ? cosine(directions.x, directions.y) : null,
      rng: GAUSSIAN_RNG,
    },
    loss,
    batchSize,
    engine: engines[0]!,
    software: { lossAtlas: VERSION, node: process.version },
  };
  const result: SurfaceResult = {
    id: `local-${provenance.directions.hash!.slice(0, 12)}`,
    kind: ys ? '2d' : '1d',
    axes: { x: xs, y: ys },
    shape: [ny, nx],
    loss: lossGrid,
    accuracy: dataset.task === 'classification' ? accuracyGrid : null,
    lossStdError: stdErrorGrid,
    nonFinite,
    provenance,
  };
  return { result, directions: { parameters: model.artifact.parameters, x: directions.x, y: directions.y, mode: directionOptions.mode, provenance } };
}

/** Runs one point-worker process over its points; resolves with the engine that evaluated them. */
function evaluateIn(work: WorkMessage, onPoint: (k: number, loss: number, lossStdError: number | null, accuracy: number | null) => void): Promise<SurfaceResult['provenance']['engine'] & object> {
  return new Promise((resolve, reject) => {
    const child = fork(pointWorker, { execArgv: ['--import', tsxLoader], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let engine: SurfaceResult['provenance']['engine'] = null;
    let failure: Error | null = null;
    child.on('message', (message: ReplyMessage) => {
      if (message.type === 'point') onPoint(message.k, message.loss, message.lossStdError, message.accuracy);
      else if (message.type === 'done') engine = message.engine;
      else failure = message.contract ? new ContractError('--model', message.message) : new Error(message.message);
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (failure) reject(failure);
      else if (!engine) reject(new Error(`an evaluation process exited with code ${code} before finishing`));
      else resolve(engine);
    });
    child.send(work);
  });
}
