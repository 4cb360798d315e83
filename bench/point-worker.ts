import { workerConfig } from '../worker/config.ts';
import { TfjsEvaluator } from '../worker/engine/tfjs/evaluator.ts';
import type { Evaluator } from '../worker/engine/evaluator.ts';
import { OnnxEvaluator } from '../worker/engine/onnx/evaluator.ts';
import { surfaceDirections } from '../worker/numeric/directions.ts';
import { perturb } from '../worker/numeric/vector.ts';
import { loadWorkload } from './workloads.ts';

/**
 * One benchmark worker process: loads a workload and an engine, reports 'ready', waits for 'go'
 * (so that all workers start together), evaluates its points and reports timings, peak RSS and
 * engine resources before and after. Talks to bench/run.ts over the fork IPC channel.
 */

/** onnx: parameter feed 'auto'; onnx-initializers / onnx-inputs: that feed forced. */
export type BenchEngine = 'onnx' | 'onnx-initializers' | 'onnx-inputs' | 'tfjs';

export interface StartMessage {
  type: 'start';
  dir: string;
  engine: BenchEngine;
  /** Grid coordinates (x, y) to evaluate, in order; evaluated `repeat` times over (soak). */
  points: [number, number][];
  repeat: number;
  /** Record RSS every this many evaluations (soak); 0 = never. */
  sampleEvery: number;
}

export interface DoneMessage {
  type: 'done';
  evaluations: number;
  seconds: number;
  /** User + system CPU seconds of this process over the timed evaluations (robust to machine load). */
  cpuSeconds: number;
  loadSeconds: number;
  maxRssMB: number;
  rssStartMB: number;
  rssEndMB: number;
  /** RSS and JS heap in use after a full GC (when run with --expose-gc), every sampleEvery evaluations. */
  rssSamplesMB: number[];
  heapSamplesMB: number[];
  resourcesBefore: Record<string, number>;
  resourcesAfter: Record<string, number>;
  activeHandlesBefore: number;
  activeHandlesAfter: number;
  losses: number[];
  engineInfo: string;
}

const MB = 1024 * 1024;

async function createEngine(engine: BenchEngine): Promise<Evaluator> {
  if (engine === 'tfjs') return TfjsEvaluator.create();
  return OnnxEvaluator.create({ parameterFeed: engine === 'onnx-inputs' ? 'inputs' : engine === 'onnx-initializers' ? 'initializers' : 'auto', threads: workerConfig().LA_ONNX_THREADS });
}

function send(message: unknown): Promise<void> {
  return new Promise((resolve, reject) => process.send!(message, (err: Error | null) => (err ? reject(err) : resolve())));
}

function nextMessage(): Promise<Record<string, unknown>> {
  return new Promise((resolve) => process.once('message', (m) => resolve(m as Record<string, unknown>)));
}

async function run(start: StartMessage): Promise<DoneMessage> {
  const loadStart = performance.now();
  const workload = await loadWorkload(start.dir);
  const evaluator = await createEngine(start.engine);
  await evaluator.load(workload.artifact);
  await evaluator.setData(workload.data);
  const theta = evaluator.storedParameters();
  const directions = surfaceDirections(workload.artifact.parameters, theta, { seed: 0, normalization: 'filter', ignore: 'biasbn', mode: 'weights' }, 2);
  const point = new Float32Array(theta.length);
  const options = { loss: workload.meta.loss, batchSize: workload.meta.batchSize };
  // One evaluation before the clock: first-run allocations are not per-point cost.
  await evaluator.evaluate(options);
  const loadSeconds = (performance.now() - loadStart) / 1000;
  const resourcesBefore = evaluator.resources();
  const activeHandlesBefore = process.getActiveResourcesInfo().length;
  const rssStartMB = process.memoryUsage().rss / MB;
  await send({ type: 'ready' });
  await nextMessage();

  const losses: number[] = [];
  const rssSamplesMB: number[] = [];
  const heapSamplesMB: number[] = [];
  const gc = (globalThis as { gc?: () => void }).gc;
  let evaluations = 0;
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  for (let round = 0; round < start.repeat; round++) {
    for (const [a, b] of start.points) {
      perturb(theta, directions.x, a, directions.y, b, point);
      await evaluator.setParameters(point);
      const result = await evaluator.evaluate(options);
      if (round === 0) losses.push(result.loss);
      evaluations++;
      if (start.sampleEvery > 0 && evaluations % start.sampleEvery === 0) {
        gc?.();
        const memory = process.memoryUsage();
        rssSamplesMB.push(memory.rss / MB);
        heapSamplesMB.push(memory.heapUsed / MB);
      }
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const done: DoneMessage = {
    type: 'done',
    evaluations,
    seconds,
    cpuSeconds,
    loadSeconds,
    maxRssMB: (process.resourceUsage().maxRSS * 1024) / MB,
    rssStartMB,
    rssEndMB: process.memoryUsage().rss / MB,
    rssSamplesMB,
    heapSamplesMB,
    resourcesBefore,
    resourcesAfter: evaluator.resources(),
    activeHandlesBefore,
    activeHandlesAfter: process.getActiveResourcesInfo().length,
    losses,
    engineInfo: `${evaluator.info.name}/${evaluator.info.backend} ${evaluator.info.version}${evaluator instanceof OnnxEvaluator ? ` feed=${evaluator.parameterFeed}` : ''}`,
  };
  evaluator.dispose();
  return done;
}

const start = (await nextMessage()) as unknown as StartMessage;
try {
  await send(await run(start));
} catch (err) {
  await send({ type: 'error', message: (err as Error).stack ?? String(err) });
}
process.disconnect();
