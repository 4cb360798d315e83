import { HESSIAN_DEFAULTS } from '../contract/metrics/hessian.ts';
import { createGradientEngine } from '../worker/autodiff/index.ts';
import type { EvalData } from '../worker/engine/evaluator.ts';
import { initTfjs } from '../worker/engine/tfjs/backend.ts';
import { createGradientEvaluator } from '../worker/engine/tfjs/gradient.ts';
import { loadLayersModel } from '../worker/engine/tfjs/load-model.ts';
import type { HessianPoint } from '../contract/metrics/hessian.ts';
import { hessianMapCells, hessianPoints } from '../worker/hessian/hessian-map.ts';
import { hessianAt } from '../worker/hessian/hvp.ts';
import { surfaceDirections } from '../worker/numeric/directions.ts';
import { loadWorkload, thetaWalk } from './workloads.ts';

/**
 * One gradient benchmark in its own process (so its peak RSS is its own): loss+gradient passes and
 * exact Hessian-vector products of a workload's model on its first `samples` samples, on the exact
 * engine (worker/autodiff, `threads` onnxruntime threads) or on tfjs (the first-order tfjs-wasm
 * evaluator, single-threaded, that Hessian maps used before; it has no exact products). Optionally
 * a Hessian map over a points×points sub-grid of [−1, 1]² with the defaults of HESSIAN_DEFAULTS.
 * Talks to bench/run.ts over the fork IPC channel.
 */

export interface GradientStartMessage {
  type: 'start';
  dir: string;
  engine: 'autodiff' | 'tfjs';
  threads: number;
  samples: number;
  /** Timed calls after the warm-up (the median is reported). */
  repeats: number;
  /** Sub-grid points per axis of a Hessian map to time; 0 = none. */
  mapPoints: number;
}

export interface GradientDoneMessage {
  type: 'done';
  /** First call: builds the graphs (autodiff) or compiles the kernels (tfjs). */
  warmUpSeconds: number;
  secondsPerGradient: number;
  secondsPerProduct: number | null;
  map: { seconds: number; points: number; products: number; converged: number } | null;
  maxRssMB: number;
}

async function median(run: () => Promise<unknown>, repeats: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const started = performance.now();
    await run();
    times.push((performance.now() - started) / 1000);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}

async function run(start: GradientStartMessage): Promise<GradientDoneMessage> {
  const workload = await loadWorkload(start.dir);
  const sampleSize = workload.data.inputShape.reduce((a, b) => a * b, 1);
  const n = Math.min(start.samples, workload.data.n);
  const data: EvalData = { x: workload.data.x.subarray(0, n * sampleSize), inputShape: workload.data.inputShape, y: workload.data.y.subarray(0, n), n };
  const { loss, batchSize } = workload.meta;
  if (start.engine === 'tfjs') {
    await initTfjs();
    const model = await loadLayersModel(workload.artifact);
    const evaluator = createGradientEvaluator(model, data, { loss, params: workload.artifact.parameters, batchSize });
    const theta = new Float32Array(workload.artifact.files['weights.bin']!.slice().buffer);
    const warm = performance.now();
    await evaluator.lossAndGradient(theta);
    const warmUpSeconds = (performance.now() - warm) / 1000;
    const secondsPerGradient = await median(() => evaluator.lossAndGradient(theta), start.repeats);
    evaluator.dispose();
    model.dispose();
    return { type: 'done', warmUpSeconds, secondsPerGradient, secondsPerProduct: null, map: null, maxRssMB: process.resourceUsage().maxRSS / 1024 };
  }
  const engine = await createGradientEngine(workload.artifact, { parameters: HESSIAN_DEFAULTS.parameters, batchNorm: 'moving', loss, threads: start.threads });
  try {
    await engine.setData(data);
    const theta = engine.initialParameters();
    const v = Float32Array.from(theta, (_, i) => (engine.mask[i] ? Math.sin(i) : 0));
    const warm = performance.now();
    await engine.lossAndGradient(theta);
    await engine.hessianVectorProduct(theta, v);
    const warmUpSeconds = (performance.now() - warm) / 1000;
    // Each gradient at a new θ, as training takes them.
    const gradientTheta = thetaWalk(theta, v, -1e-4);
    const secondsPerGradient = await median(() => engine.lossAndGradient(gradientTheta()), start.repeats);
    const secondsPerProduct = await median(() => engine.hessianVectorProduct(theta, v), start.repeats);
    let map: GradientDoneMessage['map'] = null;
    if (start.mapPoints > 0) {
      const directions = surfaceDirections(workload.artifact.parameters, theta, { seed: 0, normalization: 'filter', ignore: 'biasbn', mode: 'weights' }, 2);
      const axis = Array.from({ length: start.mapPoints }, (_, i) => -1 + (2 * i) / (start.mapPoints - 1));
      const axes = { x: axis, y: axis };
      const cells = hessianMapCells(axes, start.mapPoints);
      const points: HessianPoint[] = [];
      const started = performance.now();
      await hessianPoints({
        hessianAt: (point) => hessianAt(engine, point),
        theta,
        directions: { x: directions.x, y: directions.y },
        axes,
        mask: engine.mask,
        maxSteps: HESSIAN_DEFAULTS.maxSteps,
        tolerance: HESSIAN_DEFAULTS.tolerance,
        seed: HESSIAN_DEFAULTS.seed,
        next: async () => cells[points.length] ?? null,
        onPoint: (point) => void points.push(point),
      });
      map = {
        seconds: (performance.now() - started) / 1000,
        points: points.length,
        products: points.reduce((s, p) => s + p.products, 0),
        converged: points.filter((p) => p.converged).length,
      };
    }
    return { type: 'done', warmUpSeconds, secondsPerGradient, secondsPerProduct, map, maxRssMB: process.resourceUsage().maxRSS / 1024 };
  } finally {
    await engine.dispose();
  }
}

process.once('message', (message) => {
  run(message as GradientStartMessage).then(
    (done) => process.send!(done, () => process.exit(0)),
    (err: Error) => process.send!({ type: 'error', message: err.stack ?? err.message }, () => process.exit(1)),
  );
});
