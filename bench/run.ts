import { fork, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg, cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { COMPARISON_HESSIAN_DEFAULTS } from '../contract/comparisons.ts';
import type { BenchEngine, DoneMessage, StartMessage } from './point-worker.ts';
import type { GradientDoneMessage, GradientStartMessage } from './gradient-worker.ts';
import { benchEnsemble, type EnsembleBenchRow } from './ensemble.ts';
import { benchHessian, type HessianBenchRow } from './hessian.ts';
import { benchHessianMapStack, printHessianMapStackRow, type HessianMapStackRow } from './hessian-map-stack.ts';
import { benchProgressive, printProgressiveTable, type ProgressiveBenchMode, type ProgressiveBenchRow } from './progressive.ts';
import { benchTraining, printTrainingTable, type TrainingBenchEngine, type TrainingBenchRow } from './training.ts';
import { prepareWorkload, WORKLOAD_IDS, type WorkloadId } from './workloads.ts';

/**
 * `npm run bench`: seconds per grid point for each workload × engine × worker count, with peak
 * RSS and engine resources before/after, plus a soak run (memory over many evaluations).
 * Not a test: numbers depend on the machine and its load (printed with every row).
 *
 * Flags (defaults): --grid 11 (grid side; points over [-1, 1]²), --workloads W1,W2,W3,
 * --engines onnx,onnx-initializers,onnx-inputs,tfjs (onnx = parameter feed 'auto'; the others force
 * it), --workers 1,2, --slow-points 8 (cap on W1 points for the slow engines tfjs and onnx-inputs,
 * spread over the grid), --soak 10000 (evaluations in one worker; 0 = skip), --soak-workload W3,
 * --soak-engine onnx-initializers (a fresh session per evaluation: the churn that could leak),
 * --hessian zoo-resnet20-fashion,zoo-resnet56-fashion,zoo-resnet56-noshort-fashion (fixture models whose
 * gradient pass and Hessian point at θ* are timed on their dataset's test samples, as comparisons run them; none = skip),
 * --hessian-samples 16 (test samples of those rows, one row per count: λmin/λmax at θ* against the sample count),
 * --gradient-samples 64,1000 (W1 samples for the gradient/H·v rows; none = skip), --gradient-threads 1,2
 * (onnxruntime threads of the exact engine; tfjs-wasm runs single-threaded), --gradient-engines autodiff,tfjs,
 * --hessian-map 5 (points per axis of a W1 Hessian map on 64 samples with the exact engine and the
 * largest --gradient-threads; 0 = skip), --hessian-map-stack 5 (points per axis of a W1 Hessian map
 * on 64 samples through the real stack, API, Redis and --hessian-map-workers 2 worker processes
 * sharing its points: seconds from the POST to the map, products, converged points; none = skip, the default),
 * --training 1,0.25 (zoo ResNet-20 widths whose training throughput is measured, MNIST shape, batch
 * 128: onnxruntime autodiff at 1 and 2 threads and tfjs; none = skip, the default),
 * --training-steps 4 (timed steps per onnxruntime run; tfjs runs half as many),
 * --progressive 51 (side of a W1 surface computed on the real stack, API and workers, row by row and
 * coarse to fine: seconds from submission to each refinement level and to the end, worker CPU; none =
 * skip, the default), --progressive-modes plain,progressive,preview (preview: a first pass on
 * --progressive-preview-samples 100 samples), --progressive-workers 2,
 * --ensemble 5 (k of a direction ensemble timed against one surface on the real service, needs Redis:
 * bench/ensemble.ts; none = skip, the default), --ensemble-grid 21, --ensemble-rounds 2, --ensemble-workers 2.
 * --workloads none runs only the soak.
 */

const { values: flags } = parseArgs({
  options: {
    grid: { type: 'string', default: '11' },
    workloads: { type: 'string', default: WORKLOAD_IDS.join(',') },
    engines: { type: 'string', default: 'onnx,onnx-initializers,onnx-inputs,tfjs' },
    workers: { type: 'string', default: '1,2' },
    'slow-points': { type: 'string', default: '8' },
    soak: { type: 'string', default: '10000' },
    'soak-workload': { type: 'string', default: 'W3' },
    'soak-engine': { type: 'string', default: 'onnx-initializers' },
    hessian: { type: 'string', default: 'zoo-resnet20-fashion,zoo-resnet56-fashion,zoo-resnet56-noshort-fashion' },
    'hessian-samples': { type: 'string', default: String(COMPARISON_HESSIAN_DEFAULTS.samples) },
    'gradient-samples': { type: 'string', default: '64,1000' },
    'gradient-threads': { type: 'string', default: '1,2' },
    'gradient-engines': { type: 'string', default: 'autodiff,tfjs' },
    'hessian-map': { type: 'string', default: '5' },
    'hessian-map-stack': { type: 'string', default: 'none' },
    'hessian-map-workers': { type: 'string', default: '2' },
    training: { type: 'string', default: 'none' },
    'training-steps': { type: 'string', default: '4' },
    progressive: { type: 'string', default: 'none' },
    'progressive-modes': { type: 'string', default: 'plain,progressive,preview' },
    'progressive-workers': { type: 'string', default: '2' },
    'progressive-preview-samples': { type: 'string', default: '100' },
    ensemble: { type: 'string', default: 'none' },
    'ensemble-grid': { type: 'string', default: '21' },
    'ensemble-rounds': { type: 'string', default: '2' },
    'ensemble-workers': { type: 'string', default: '2' },
  },
});

const root = fileURLToPath(new URL('.', import.meta.url));
const resultsDir = `${root}results`;
const grid = Number(flags.grid);
const workloads = (flags.workloads === 'none' ? [] : flags.workloads.split(',')) as WorkloadId[];
const engines = flags.engines.split(',') as BenchEngine[];
const workerCounts = flags.workers.split(',').map(Number);
const slowPoints = Number(flags['slow-points']);
const soakEvaluations = Number(flags.soak);

function linspace(min: number, max: number, num: number): number[] {
  return Array.from({ length: num }, (_, i) => (i === num - 1 ? max : min + ((max - min) * i) / (num - 1)));
}

/** The grid points row-major; `cap` keeps that many, evenly spread. */
function gridPoints(side: number, cap: number): [number, number][] {
  const axis = linspace(-1, 1, side);
  const all: [number, number][] = [];
  for (const y of axis) for (const x of axis) all.push([x, y]);
  if (cap >= all.length) return all;
  return Array.from({ length: cap }, (_, k) => all[Math.round((k * (all.length - 1)) / Math.max(1, cap - 1))]!);
}

function spawnWorker(): ChildProcess {
  return fork(`${root}point-worker.ts`, [], {
    // --expose-gc: the soak samples memory after a full collection, so garbage is not mistaken for a leak.
    execArgv: ['--expose-gc', '--import', 'tsx'],
    env: { ...process.env, LA_ONNX_THREADS: process.env.LA_ONNX_THREADS ?? '1' },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
}

function waitFor(child: ChildProcess, type: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: Record<string, unknown>) => {
      if (m.type === 'error') reject(new Error(String(m.message)));
      else if (m.type === type) {
        child.off('message', onMessage);
        resolve(m);
      }
    };
    child.on('message', onMessage);
    child.once('exit', (code) => reject(new Error(`bench worker exited with ${code} before "${type}"`)));
  });
}

interface RunResult {
  workload: WorkloadId;
  engine: BenchEngine;
  workers: number;
  points: number;
  wallSeconds: number;
  secondsPerPoint: number;
  /** CPU seconds per point summed over workers: what one point costs a core, whatever else runs. */
  cpuSecondsPerPoint: number;
  pointsPerSecond: number;
  maxRssMB: number;
  loadAverageBefore: number[];
  loadAverageAfter: number[];
  perWorker: Omit<DoneMessage, 'type' | 'losses'>[];
  /** Losses of the first worker's points, to compare engines. */
  sampleLosses: number[];
}

/** k workers share the points round-robin; the clock runs from a common 'go' to the last 'done'. */
async function measure(dir: string, workload: WorkloadId, engine: BenchEngine, workers: number, points: [number, number][], repeat = 1, sampleEvery = 0): Promise<RunResult> {
  const children = Array.from({ length: workers }, spawnWorker);
  try {
    const shares = children.map((_, rank) => points.filter((__, i) => i % workers === rank));
    const ready = children.map((c) => waitFor(c, 'ready'));
    children.forEach((c, rank) => c.send({ type: 'start', dir, engine, points: shares[rank]!, repeat, sampleEvery } satisfies StartMessage));
    await Promise.all(ready);
    const loadAverageBefore = loadavg();
    const done = children.map((c) => waitFor(c, 'done') as Promise<unknown> as Promise<DoneMessage>);
    const started = performance.now();
    for (const c of children) c.send({ type: 'go' });
    const reports = await Promise.all(done);
    const wallSeconds = (performance.now() - started) / 1000;
    const evaluations = reports.reduce((n, r) => n + r.evaluations, 0);
    return {
      workload,
      engine,
      workers,
      points: evaluations,
      wallSeconds,
      secondsPerPoint: wallSeconds / evaluations,
      cpuSecondsPerPoint: reports.reduce((n, r) => n + r.cpuSeconds, 0) / evaluations,
      pointsPerSecond: evaluations / wallSeconds,
      maxRssMB: Math.max(...reports.map((r) => r.maxRssMB)),
      loadAverageBefore,
      loadAverageAfter: loadavg(),
      perWorker: reports.map(({ type: _type, losses: _losses, ...rest }) => rest),
      sampleLosses: reports[0]!.losses.slice(0, 5),
    };
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill();
  }
}

function fmt(v: number, digits = 3): string {
  return v.toFixed(digits);
}

function printTable(rows: RunResult[]): void {
  const header = ['workload', 'engine', 'workers', 'points', 's/point', 'CPU s/point', 'points/s', '1→k speedup', 'peak RSS MB', 'resources before → after', 'load avg'];
  const lines = rows.map((r) => {
    const single = rows.find((o) => o.workload === r.workload && o.engine === r.engine && o.workers === 1);
    const w = r.perWorker[0]!;
    const resources = `${JSON.stringify(w.resourcesBefore)} → ${JSON.stringify(w.resourcesAfter)}; handles ${w.activeHandlesBefore}→${w.activeHandlesAfter}`;
    const feeds = [...new Set(r.perWorker.map((p) => /feed=(\w+)/.exec(p.engineInfo)?.[1]).filter(Boolean))];
    const engine = r.engine === 'onnx' ? `onnx (auto→${feeds.join('/')})` : r.engine;
    return [r.workload, engine, String(r.workers), String(r.points), fmt(r.secondsPerPoint), fmt(r.cpuSecondsPerPoint), fmt(r.pointsPerSecond, 2), single && r.workers > 1 ? `${fmt(single.secondsPerPoint / r.secondsPerPoint, 2)}×` : '', fmt(r.maxRssMB, 0), resources, r.loadAverageBefore.map((l) => l.toFixed(2)).join(' ')];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(row(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const l of lines) console.log(row(l));
}

const startedAt = new Date().toISOString();
console.log(`Loss Atlas bench ${startedAt}: ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, grid ${grid}×${grid}, LA_ONNX_THREADS=${process.env.LA_ONNX_THREADS ?? '1'}`);
await mkdir(resultsDir, { recursive: true });
const rows: RunResult[] = [];
for (const workload of workloads) {
  const dir = `${resultsDir}/cache/${workload}`;
  await prepareWorkload(workload, dir);
  for (const engine of engines) {
    const slow = (engine === 'tfjs' || engine === 'onnx-inputs') && workload === 'W1';
    const points = gridPoints(grid, slow ? slowPoints : grid * grid);
    for (const workers of workerCounts) {
      const result = await measure(dir, workload, engine, workers, points);
      rows.push(result);
      console.log(`${workload} ${engine} ×${workers}: ${fmt(result.secondsPerPoint)} s/point (CPU ${fmt(result.cpuSecondsPerPoint)} s/point) over ${result.points} points (${fmt(result.wallSeconds, 1)} s), peak RSS ${fmt(result.maxRssMB, 0)} MB`);
    }
  }
}
console.log('');
if (rows.length > 0) printTable(rows);

let soak: RunResult | null = null;
if (soakEvaluations > 0) {
  const workload = flags['soak-workload'] as WorkloadId;
  const dir = `${resultsDir}/cache/${workload}`;
  await prepareWorkload(workload, dir);
  const points = gridPoints(grid, grid * grid);
  const repeat = Math.ceil(soakEvaluations / points.length);
  const soakEngine = flags['soak-engine'] as BenchEngine;
  soak = await measure(dir, workload, soakEngine, 1, points, repeat, Math.max(1, Math.floor((repeat * points.length) / 20)));
  const w = soak.perWorker[0]!;
  console.log(
    `\nSoak: ${workload} ${soakEngine}, ${soak.points} evaluations in ${fmt(soak.wallSeconds, 1)} s; RSS ${fmt(w.rssStartMB, 0)} MB → ${fmt(w.rssEndMB, 0)} MB ` +
      `(after GC, every ${Math.round(soak.points / 20)}: ${w.rssSamplesMB.map((v) => v.toFixed(0)).join(' ')}; JS heap ${w.heapSamplesMB.map((v) => v.toFixed(1)).join(' ')} MB); resources ${JSON.stringify(w.resourcesBefore)} → ${JSON.stringify(w.resourcesAfter)}; ` +
      `handles ${w.activeHandlesBefore} → ${w.activeHandlesAfter}`,
  );
}

interface GradientRow extends Omit<GradientDoneMessage, 'type'> {
  engine: GradientStartMessage['engine'];
  threads: number;
  samples: number;
  load: number[];
}

/** One gradient benchmark in a fresh process (its peak RSS is its own). */
function gradientRun(start: Omit<GradientStartMessage, 'type'>): Promise<GradientDoneMessage> {
  const child = fork(`${root}gradient-worker.ts`, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  child.send({ type: 'start', ...start });
  return new Promise((resolve, reject) => {
    child.once('message', (m: Record<string, unknown>) => (m.type === 'done' ? resolve(m as unknown as GradientDoneMessage) : reject(new Error(String(m.message)))));
    child.once('exit', (code) => code !== 0 && reject(new Error(`gradient worker exited with ${code}`)));
  });
}

const gradientRows: GradientRow[] = [];
const gradientSamples = flags['gradient-samples'] === 'none' ? [] : flags['gradient-samples'].split(',').map(Number);
const gradientThreads = flags['gradient-threads'].split(',').map(Number);
const mapPoints = Number(flags['hessian-map']);
if (gradientSamples.length > 0 || mapPoints > 0) {
  const dir = `${resultsDir}/cache/W1`;
  await prepareWorkload('W1', dir);
  const configurations: { engine: GradientStartMessage['engine']; threads: number; samples: number; mapPoints: number }[] = [];
  for (const samples of gradientSamples) {
    for (const engine of flags['gradient-engines'].split(',') as GradientStartMessage['engine'][]) {
      for (const threads of engine === 'tfjs' ? [1] : gradientThreads) configurations.push({ engine, threads, samples, mapPoints: 0 });
    }
  }
  if (mapPoints > 0) configurations.push({ engine: 'autodiff', threads: Math.max(...gradientThreads), samples: 64, mapPoints });
  for (const c of configurations) {
    const load = loadavg();
    // tfjs on 1000 samples takes about a minute per pass: one timed pass.
    const done = await gradientRun({ dir, ...c, repeats: c.engine === 'tfjs' && c.samples > 64 ? 1 : 3 });
    const row: GradientRow = { ...done, engine: c.engine, threads: c.threads, samples: c.samples, load };
    gradientRows.push(row);
    const product = row.secondsPerProduct === null ? 'no exact H·v' : `${fmt(row.secondsPerProduct)} s/exact H·v`;
    console.log(
      `W1 ${c.engine} ${c.threads} thread(s), ${c.samples} samples: ${fmt(row.secondsPerGradient)} s/gradient, ${product}, warm-up ${fmt(row.warmUpSeconds, 1)} s, ` +
        `peak RSS ${fmt(row.maxRssMB, 0)} MB (load ${load.map((l) => l.toFixed(2)).join(' ')})` +
        (row.map ? `; ${mapPoints}×${mapPoints} Hessian map: ${fmt(row.map.seconds, 1)} s, ${row.map.products} products, ${row.map.converged}/${row.map.points} converged` : ''),
    );
  }
}

const hessianRows: HessianBenchRow[] = [];
for (const model of flags.hessian === 'none' ? [] : flags.hessian.split(',')) {
  for (const samples of flags['hessian-samples'].split(',').map(Number)) {
    const row = await benchHessian(model, fileURLToPath(new URL('../fixtures/models', import.meta.url)), samples);
    hessianRows.push(row);
    console.log(
      `Hessian ${model} (${row.differentiated} of ${row.parameters} parameters, ${row.samples} ${row.dataset} test samples, ${row.engine.backend}, ${row.threads} thread(s)): ` +
        `${fmt(row.secondsPerGradient)} s/gradient, ${fmt(row.secondsPerProduct)} s/exact H·v, ${fmt(row.secondsPerPoint, 1)} s for one point at θ* ` +
        `(${row.products} products, λmax ${row.lambdaMax.toPrecision(4)}, λmin ${row.lambdaMin.toPrecision(4)}, |λmin/λmax| ${Math.abs(row.lambdaMin / row.lambdaMax).toPrecision(3)}, converged ${row.converged})`,
    );
  }
}

const hessianMapStackRows: HessianMapStackRow[] = [];
if (flags['hessian-map-stack'] !== 'none') {
  const row = await benchHessianMapStack(Number(flags['hessian-map-stack']), Number(flags['hessian-map-workers']), `${resultsDir}/cache/W1`);
  hessianMapStackRows.push(row);
  printHessianMapStackRow(row);
}

const trainingRows: TrainingBenchRow[] = [];
for (const width of flags.training === 'none' ? [] : flags.training.split(',').map(Number)) {
  for (const engine of ['onnx1', 'onnx2', 'tfjs'] as TrainingBenchEngine[]) {
    const steps = Number(flags['training-steps']);
    trainingRows.push(await benchTraining(width, engine, engine === 'tfjs' ? Math.max(1, Math.floor(steps / 2)) : steps));
  }
}
if (trainingRows.length > 0) printTrainingTable(trainingRows);

const progressiveRows: ProgressiveBenchRow[] = [];
if (flags.progressive !== 'none') {
  for (const mode of flags['progressive-modes'].split(',') as ProgressiveBenchMode[]) {
    const row = await benchProgressive(mode, Number(flags.progressive), Number(flags['progressive-workers']), Number(flags['progressive-preview-samples']), `${resultsDir}/cache/W1`);
    progressiveRows.push(row);
    printProgressiveTable([row]);
  }
  console.log('');
  printProgressiveTable(progressiveRows);
}

const ensembleRows: EnsembleBenchRow[] =
  flags.ensemble === 'none' ? [] : await benchEnsemble(Number(flags.ensemble), Number(flags['ensemble-grid']), Number(flags['ensemble-rounds']), Number(flags['ensemble-workers']));

const report = { startedAt, finishedAt: new Date().toISOString(), cores: cpus().length, flags, rows, soak, gradient: gradientRows, hessian: hessianRows, hessianMapStack: hessianMapStackRows, training: trainingRows, progressive: progressiveRows, ensemble: ensembleRows };
const file = `${resultsDir}/bench-${startedAt.replace(/[:.]/g, '-')}.json`;
await writeFile(file, JSON.stringify(report, null, 2));
await writeFile(`${resultsDir}/latest.json`, JSON.stringify(report, null, 2));
console.log(`\nwritten: ${file}`);
