import * as tf from '../worker/engine/tfjs/tf.ts';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { resolveTrainingRequest } from '../contract/training.ts';
import { builtinDataset } from '../worker/datasets/builtin.ts';
import { initTfjs } from '../worker/engine/tfjs/backend.ts';
import { layersModelArtifact } from '../worker/engine/tfjs/artifact.ts';
import { saveLayersModel } from '../worker/engine/tfjs/save-model.ts';
import { gatherBatch, shuffledOrder, type TrainingStepper } from '../worker/training/loop.ts';
import { createOnnxStepper } from '../worker/training/onnx-stepper.ts';
import { CLASSIFIER_OBJECTIVE, tfjsStepper } from '../worker/training/train.ts';
import { uniformStream } from '../worker/numeric/rng.ts';
import { buildArchitecture } from '../worker/zoo/index.ts';

/**
 * Training throughput: images per second of full optimizer steps (gradient of the mean batch loss
 * with BN batch statistics, weight decay, SGD-Nesterov, BN running update) on zoo ResNets
 * (default ResNet-20) at the MNIST shape, batch 128, for the onnxruntime engine at 1 and 2
 * intra-op threads and the tfjs (wasm) path. The first step of each engine builds its graphs and
 * is not timed. CPU seconds per image are printed beside the wall clock: on a shared machine they
 * move less with the load.
 *
 * Run: npx tsx bench/training.ts [--widths 1,0.25] [--engines onnx1,onnx2,tfjs] [--steps 4] [--tfjs-steps 2]
 * [--architectures resnet20,resnet56] (default resnet20)
 * (or npm run bench -- --workloads none --soak 0 --hessian none --training 1,0.25)
 */

export type TrainingBenchEngine = 'onnx1' | 'onnx2' | 'tfjs';

export interface TrainingBenchRow {
  architecture: string;
  width: number;
  engine: TrainingBenchEngine;
  batchSize: number;
  steps: number;
  imagesPerSecond: number;
  cpuSecondsPerImage: number;
  loadAverage: number[];
}

const BATCH = 128;

export async function benchTraining(width: number, engine: TrainingBenchEngine, steps: number, architecture = 'resnet20'): Promise<TrainingBenchRow> {
  await initTfjs();
  const mnist = builtinDataset('mnist');
  const request = resolveTrainingRequest({ architecture: { id: architecture, width }, dataset: { id: 'mnist' }, epochs: 1, weightDecay: 5e-4 });
  const model = buildArchitecture({ id: architecture, width }, { inputShape: mnist.inputShape, classes: 10, seed: 0 });
  let stepper: TrainingStepper & { dispose(): void | Promise<void> };
  if (engine === 'tfjs') {
    stepper = await tfjsStepper(model, mnist.inputShape, { optimizer: request.optimizer, weightDecay: request.weightDecay });
  } else {
    const artifact = layersModelArtifact(await saveLayersModel(model), 'bench');
    stepper = await createOnnxStepper(artifact, mnist.inputShape, { objective: CLASSIFIER_OBJECTIVE, optimizer: request.optimizer, weightDecay: request.weightDecay, batchSize: request.batchSize, threads: engine === 'onnx2' ? 2 : 1 });
  }
  try {
    const order = shuffledOrder(mnist.train.n, uniformStream(0));
    const batch = (k: number) => gatherBatch(mnist.train, order.subarray((k * BATCH) % (mnist.train.n - BATCH), ((k * BATCH) % (mnist.train.n - BATCH)) + BATCH), mnist.inputShape);
    await stepper.step(batch(0), 0.1);
    const loadAverage = loadavg();
    const cpu = process.cpuUsage();
    const started = performance.now();
    for (let k = 1; k <= steps; k++) await stepper.step(batch(k), 0.1);
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    return {
      architecture, width, engine, batchSize: BATCH, steps,
      imagesPerSecond: (steps * BATCH) / seconds,
      cpuSecondsPerImage: (used.user + used.system) / 1e6 / (steps * BATCH),
      loadAverage,
    };
  } finally {
    await stepper.dispose();
    model.dispose();
  }
}

export function printTrainingTable(rows: TrainingBenchRow[]): void {
  console.log('| model | width | engine | batch | steps | images/s | CPU s/image | × tfjs | load avg (1/5/15 min) |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const tfjs = rows.find((o) => o.engine === 'tfjs' && o.width === r.width && o.architecture === r.architecture);
    const speedup = tfjs && r.engine !== 'tfjs' ? `${(r.imagesPerSecond / tfjs.imagesPerSecond).toFixed(1)}×` : '';
    console.log(`| ${r.architecture} (MNIST) | ${r.width} | ${r.engine === 'tfjs' ? `tfjs ${tf.version.tfjs} ${tf.getBackend()}` : `onnxruntime autodiff, ${r.engine === 'onnx2' ? 2 : 1} thread(s)`} | ${r.batchSize} | ${r.steps} | ${r.imagesPerSecond.toFixed(1)} | ${r.cpuSecondsPerImage.toFixed(4)} | ${speedup} | ${r.loadAverage.map((l) => l.toFixed(2)).join(' ')} |`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      widths: { type: 'string', default: '1,0.25' },
      engines: { type: 'string', default: 'onnx1,onnx2,tfjs' },
      steps: { type: 'string', default: '4' },
      'tfjs-steps': { type: 'string', default: '2' },
      architectures: { type: 'string', default: 'resnet20' },
    },
  });
  const rows: TrainingBenchRow[] = [];
  for (const architecture of values.architectures.split(',')) {
    for (const width of values.widths.split(',').map(Number)) {
      for (const engine of values.engines.split(',') as TrainingBenchEngine[]) {
        const row = await benchTraining(width, engine, Number(engine === 'tfjs' ? values['tfjs-steps'] : values.steps), architecture);
        console.log(`${architecture} ×${width} ${engine}: ${row.imagesPerSecond.toFixed(1)} images/s, ${row.cpuSecondsPerImage.toFixed(4)} CPU s/image (load ${row.loadAverage.map((l) => l.toFixed(2)).join(' ')})`);
        rows.push(row);
      }
    }
  }
  printTrainingTable(rows);
}
