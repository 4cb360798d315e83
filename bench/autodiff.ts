import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import type { EvalData } from '../worker/engine/evaluator.ts';
import { OnnxEvaluator } from '../worker/engine/onnx/evaluator.ts';
import { createGradientEngine } from '../worker/autodiff/index.ts';
import { gaussianStream } from '../worker/numeric/rng.ts';
import { loadWorkload, prepareWorkload, thetaWalk } from './workloads.ts';

/**
 * `npx tsx bench/autodiff.ts`: seconds per forward pass (the onnx evaluator), per loss+gradient
 * pass (each at a new θ, as in training) and per exact Hessian-vector product (worker/autodiff)
 * on W1 (ResNet-20, CIFAR shape, 272k parameters) with --samples samples (default 64), for each
 * --threads count (default 1,2).
 * The product is timed with the values shared at one θ kept (the default) and recomputed
 * (primalCacheBytes 0). Median of --repeats timed calls after one warm-up call (which also builds the graphs). Not a
 * test: the numbers depend on the machine and its load (printed with them).
 */

const { values: flags } = parseArgs({
  options: {
    samples: { type: 'string', default: '64' },
    threads: { type: 'string', default: '1,2' },
    repeats: { type: 'string', default: '5' },
  },
});

const samples = Number(flags.samples);
const repeats = Number(flags.repeats);
const dir = fileURLToPath(new URL('results/cache/W1', import.meta.url));
await prepareWorkload('W1', dir);
const workload = await loadWorkload(dir);
const sampleSize = workload.data.inputShape.reduce((a, b) => a * b, 1);
const data: EvalData = {
  x: workload.data.x.subarray(0, samples * sampleSize),
  inputShape: workload.data.inputShape,
  y: workload.data.y.subarray(0, samples),
  n: samples,
};

async function median(run: () => Promise<unknown>): Promise<{ seconds: number; setup: number }> {
  const started = performance.now();
  await run();
  const setup = (performance.now() - started) / 1000;
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    await run();
    times.push((performance.now() - t) / 1000);
  }
  times.sort((a, b) => a - b);
  return { seconds: times[Math.floor(times.length / 2)]!, setup };
}

const fmt = (s: number) => s.toFixed(4);
console.log(`W1 ${workload.meta.description}; ${samples} samples; onnxruntime ${ort.env.versions.common}; load ${(await import('node:os')).loadavg().map((l) => l.toFixed(2)).join(' ')}`);
for (const threads of flags.threads.split(',').map(Number)) {
  const forwardRows: string[] = [];
  for (const parameterFeed of ['inputs', 'initializers'] as const) {
    const evaluator = await OnnxEvaluator.create({ threads, parameterFeed });
    await evaluator.load(workload.artifact);
    await evaluator.setData(data);
    const forward = await median(() => evaluator.evaluate({ loss: workload.meta.loss, batchSize: 64 }));
    evaluator.dispose();
    forwardRows.push(`${parameterFeed} ${fmt(forward.seconds)} s`);
  }
  const engine = await createGradientEngine(workload.artifact, { parameters: 'weights', batchNorm: 'moving', loss: workload.meta.loss, threads });
  await engine.setData(data);
  const theta = engine.initialParameters();
  const normal = gaussianStream(1);
  const v = Float32Array.from({ length: theta.length }, () => normal());
  // Training and gradient flow take each gradient at a new θ.
  const gradientTheta = thetaWalk(theta, v, -1e-4);
  const gradient = await median(() => engine.lossAndGradient(gradientTheta()));
  const hvp = await median(() => engine.hessianVectorProduct(theta, v));
  // A Hessian map moves θ at every grid point: the first product there pays for a new session.
  const productTheta = thetaWalk(theta, v, 1e-4);
  const hvpNewTheta = await median(() => engine.hessianVectorProduct(productTheta(), v));
  await engine.dispose();
  // The same products recomputing the values they share at one θ (as past LA_HVP_CACHE_MB).
  const whole = await createGradientEngine(workload.artifact, { parameters: 'weights', batchNorm: 'moving', loss: workload.meta.loss, threads, primalCacheBytes: 0 });
  await whole.setData(data);
  const hvpWhole = await median(() => whole.hessianVectorProduct(theta, v));
  await whole.dispose();
  console.log(
    `threads ${threads}: forward (evaluator) ${forwardRows.join(', ')}; gradient ${fmt(gradient.seconds)} s at a new θ (first call incl. graph build ${fmt(gradient.setup)} s); ` +
      `Hessian-vector product ${fmt(hvp.seconds)} s (first ${fmt(hvp.setup)} s; at a new θ ${fmt(hvpNewTheta.seconds)} s; recomputing the shared values ${fmt(hvpWhole.seconds)} s)`,
  );
}
