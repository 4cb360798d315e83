import { readFile } from 'node:fs/promises';
import { COMPARISON_HESSIAN_DEFAULTS } from '../contract/comparisons.ts';
import type { EngineInfo } from '../contract/surface.ts';
import { initialParameters } from '../worker/artifacts.ts';
import { builtinDataset } from '../worker/datasets/builtin.ts';
import { evaluationData } from '../worker/datasets/select.ts';
import { layersModelArtifact } from '../worker/engine/tfjs/artifact.ts';
import { initTfjs } from '../worker/engine/tfjs/backend.ts';
import { createGradientEvaluator } from '../worker/engine/tfjs/gradient.ts';
import { loadLayersModel } from '../worker/engine/tfjs/load-model.ts';
import { eigenRatio } from '../worker/hessian/eigen-ratio.ts';
import { trainableMask } from '../worker/hessian/hessian-map.ts';

export interface HessianBenchRow {
  model: string;
  parameters: number;
  samples: number;
  /** Median of three first-order gradient passes (after a warm-up pass). */
  secondsPerGradient: number;
  /** One λmax/λmin point at θ* with the comparison defaults (maxSteps, samples). */
  secondsPerPoint: number;
  products: number;
  engine: EngineInfo;
}

/**
 * The cost of the Hessian maps comparisons run: a gradient pass and one sub-grid point at θ* of a
 * committed fixture model on MNIST test digits, in this process (tfjs, single-threaded on wasm).
 */
export async function benchHessian(modelId: string, fixturesDir: string): Promise<HessianBenchRow> {
  const dir = `${fixturesDir}/${modelId}`;
  const files = { 'model.json': new Uint8Array(await readFile(`${dir}/model.json`)), 'weights.bin': new Uint8Array(await readFile(`${dir}/weights.bin`)) };
  const artifact = layersModelArtifact(files, modelId);
  const theta = initialParameters(artifact);
  const { samples, maxSteps } = COMPARISON_HESSIAN_DEFAULTS;
  const { data: selected } = evaluationData(builtinDataset('mnist'), 'test', samples, 0);
  const engine = await initTfjs();
  const model = await loadLayersModel(artifact);
  const gradients = createGradientEvaluator(model, selected, { loss: 'sparse_categorical_crossentropy', params: artifact.parameters });
  try {
    const gradient = async (point: Float32Array) => (await gradients.lossAndGradient(point)).gradient;
    await gradient(theta);
    const passes: number[] = [];
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      await gradient(theta);
      passes.push((performance.now() - started) / 1000);
    }
    const started = performance.now();
    const eigen = await eigenRatio(gradient, theta, trainableMask(artifact.parameters), { lanczos: { maxSteps, tolerance: 0.01 }, seed: 0 });
    return {
      model: modelId,
      parameters: theta.length,
      samples: selected.n,
      secondsPerGradient: passes.sort((a, b) => a - b)[1]!,
      secondsPerPoint: (performance.now() - started) / 1000,
      products: eigen.products,
      engine,
    };
  } finally {
    gradients.dispose();
    model.dispose();
  }
}
