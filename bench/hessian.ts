import { readFile } from 'node:fs/promises';
import { COMPARISON_HESSIAN_DEFAULTS } from '../contract/comparisons.ts';
import { HESSIAN_DEFAULTS } from '../contract/metrics/hessian.ts';
import type { EngineInfo } from '../contract/surface.ts';
import { storedParameters } from '../worker/artifacts.ts';
import { createGradientEngine } from '../worker/autodiff/index.ts';
import { builtinDataset } from '../worker/datasets/builtin.ts';
import { evaluationData } from '../worker/datasets/select.ts';
import { workerConfig } from '../worker/config.ts';
import { layersModelArtifact } from '../worker/engine/tfjs/artifact.ts';
import { extremeEigenvalues } from '../worker/hessian/eigen-ratio.ts';
import { hessianAt } from '../worker/hessian/hvp.ts';
import { autodiffEngineInfo } from '../worker/analysis/autodiff-engine-info.ts';

export interface HessianBenchRow {
  model: string;
  /** The model's dataset (model-info.json), whose test samples the gradient and products run on. */
  dataset: string;
  parameters: number;
  /** Parameters the Hessian is taken over (tensors of rank ≥ 2, the default). */
  differentiated: number;
  samples: number;
  threads: number;
  /** Median of three loss+gradient passes (after a warm-up pass, which also builds the graphs). */
  secondsPerGradient: number;
  /** Median of three exact Hessian-vector products (after a warm-up). */
  secondsPerProduct: number;
  /** One λmax/λmin point at θ* with the comparison defaults (samples; maxSteps and tolerance of HESSIAN_DEFAULTS). */
  secondsPerPoint: number;
  products: number;
  converged: boolean;
  lambdaMax: number;
  lambdaMin: number;
  engine: EngineInfo;
}

async function median3(run: () => Promise<unknown>): Promise<number> {
  const seconds: number[] = [];
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    await run();
    seconds.push((performance.now() - started) / 1000);
  }
  return seconds.sort((a, b) => a - b)[1]!;
}

/**
 * The cost of the Hessian maps comparisons run: a gradient pass, an exact product and one
 * sub-grid point at θ* of a committed fixture classifier on `samples` test samples of its dataset
 * (default: the comparisons' own count), on the exact engine in this process (LA_ONNX_THREADS
 * intra-op threads, as the analysis jobs).
 */
export async function benchHessian(modelId: string, fixturesDir: string, samples: number = COMPARISON_HESSIAN_DEFAULTS.samples): Promise<HessianBenchRow> {
  const dir = `${fixturesDir}/${modelId}`;
  const files = { 'model.json': new Uint8Array(await readFile(`${dir}/model.json`)), 'weights.bin': new Uint8Array(await readFile(`${dir}/weights.bin`)) };
  const { dataset } = JSON.parse(await readFile(`${dir}/model-info.json`, 'utf8')) as { dataset: string };
  const artifact = layersModelArtifact(files, modelId);
  const theta = storedParameters(artifact);
  const { data } = evaluationData(builtinDataset(dataset), 'test', samples, 0);
  const threads = workerConfig().LA_ONNX_THREADS;
  const engine = await createGradientEngine(artifact, { parameters: HESSIAN_DEFAULTS.parameters, batchNorm: 'moving', loss: 'sparse_categorical_crossentropy', threads });
  try {
    await engine.setData(data);
    const v = new Float32Array(theta.length).map((_, i) => (engine.mask[i] ? Math.sin(i) : 0));
    await engine.lossAndGradient(theta);
    await engine.hessianVectorProduct(theta, v);
    const secondsPerGradient = await median3(() => engine.lossAndGradient(theta));
    const secondsPerProduct = await median3(() => engine.hessianVectorProduct(theta, v));
    const started = performance.now();
    const eigen = await extremeEigenvalues(hessianAt(engine, theta), theta.length, engine.mask, {
      lanczos: { maxSteps: HESSIAN_DEFAULTS.maxSteps, tolerance: HESSIAN_DEFAULTS.tolerance },
      seed: HESSIAN_DEFAULTS.seed,
    });
    return {
      model: modelId,
      dataset,
      parameters: theta.length,
      differentiated: engine.mask.reduce((n, m) => n + m, 0),
      samples: data.n,
      threads,
      secondsPerGradient,
      secondsPerProduct,
      secondsPerPoint: (performance.now() - started) / 1000,
      products: eigen.products,
      converged: eigen.converged,
      lambdaMax: eigen.lambdaMax,
      lambdaMin: eigen.lambdaMin,
      engine: autodiffEngineInfo(),
    };
  } finally {
    await engine.dispose();
  }
}
