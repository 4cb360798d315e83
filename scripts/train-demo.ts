/**
 * Trains the two demo models on the built-in MNIST train split and writes them to
 * fixtures/models/<id>/ (model.json + weights.bin + model-info.json):
 *   demo-cnn-skip  — a residual block y = relu(bn(conv(relu(bn(conv(x))))) + x)
 *   demo-cnn-plain — the same net with the shortcut removed, nothing else changed
 * Same layer names, same initializer seeds (so the same initial weights) and the same batch order.
 *
 * Run: nice npx tsx scripts/train-demo.ts
 *
 * Training runs on the engine's backend (wasm here; the cpu backend is ~15× slower), with the
 * Conv2DBackpropFilter kernel that wasm lacks registered from wasm-conv-filter-grad.ts. The result
 * is deterministic on the same backend. Final metrics come from the evaluation engine
 * (TfjsEvaluator, BN in inference mode) so they match the centre of every surface.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as tf from '../worker/engine/tfjs/tf.ts';
import seedrandom from 'seedrandom';
import { builtinDataset } from '../worker/datasets/builtin.ts';
import type { DatasetSplitArrays } from '../contract/dataset-codec.ts';
import type { EvalResult } from '../worker/engine/evaluator.ts';
import { layersModelArtifact } from '../worker/engine/tfjs/artifact.ts';
import { initTfjs } from '../worker/engine/tfjs/backend.ts';
import { TfjsEvaluator } from '../worker/engine/tfjs/evaluator.ts';
import { saveLayersModel, type LayersModelFiles } from '../worker/engine/tfjs/save-model.ts';
import { registerWasmConv2DBackpropFilter } from '../worker/engine/tfjs/wasm-conv-filter-grad.ts';

export const RECIPE = {
  dataset: 'mnist',
  split: 'train',
  architecture:
    'conv3x3(8, relu) → maxpool2 → [conv3x3(8, no bias) → BN → relu → conv3x3(8, no bias) → BN → (+ input if skip) → relu] ' +
    '→ maxpool2 → conv3x3(16, relu) → flatten → dense(10, softmax); padding same',
  kernelInitializer: 'heNormal (seed = initSeed + layer index), biases zero',
  batchNormMomentum: 0.9,
  batchNormEpsilon: 1e-3,
  optimizer: 'adam',
  learningRate: 0.002,
  adamBeta1: 0.9,
  adamBeta2: 0.999,
  adamEpsilon: 1e-7,
  loss: 'categoricalCrossentropy',
  epochs: 3,
  batchSize: 64,
  initSeed: 2018,
  shuffleSeed: 7,
  shuffle: 'Fisher–Yates per epoch from seedrandom(shuffleSeed) (one stream across epochs)',
} as const;

interface DemoSpec {
  id: string;
  name: string;
  skip: boolean;
  description: string;
}

const DEMOS: DemoSpec[] = [
  {
    id: 'demo-cnn-skip',
    name: 'Demo CNN with a residual block',
    skip: true,
    description: 'Small MNIST CNN (~10k parameters) whose middle block has an identity shortcut: y = relu(F(x) + x), F = conv-BN-relu-conv-BN.',
  },
  {
    id: 'demo-cnn-plain',
    name: 'Demo CNN without the shortcut',
    skip: false,
    description: 'demo-cnn-skip with the shortcut removed (y = relu(F(x))); same layers, initial weights, data order and optimizer.',
  },
];

/** The demo network; `skip` adds the identity shortcut around the block and changes nothing else. */
export function buildDemoModel(skip: boolean, initSeed: number = RECIPE.initSeed): tf.LayersModel {
  let layerIndex = 0;
  const conv = (name: string, filters: number, withBias: boolean, activation: 'relu' | 'linear') =>
    tf.layers.conv2d({
      name, filters, kernelSize: 3, padding: 'same', activation, useBias: withBias,
      kernelInitializer: tf.initializers.heNormal({ seed: initSeed + layerIndex++ }),
    });
  const batchNorm = (name: string) => tf.layers.batchNormalization({ name, momentum: RECIPE.batchNormMomentum, epsilon: RECIPE.batchNormEpsilon });

  const input = tf.input({ shape: [28, 28, 1], name: 'image' });
  const stem = conv('stem_conv', 8, true, 'relu').apply(input) as tf.SymbolicTensor;
  const blockInput = tf.layers.maxPooling2d({ name: 'stem_pool', poolSize: 2 }).apply(stem) as tf.SymbolicTensor;
  let h = conv('block_conv1', 8, false, 'linear').apply(blockInput) as tf.SymbolicTensor;
  h = batchNorm('block_bn1').apply(h) as tf.SymbolicTensor;
  h = tf.layers.reLU({ name: 'block_relu1' }).apply(h) as tf.SymbolicTensor;
  h = conv('block_conv2', 8, false, 'linear').apply(h) as tf.SymbolicTensor;
  h = batchNorm('block_bn2').apply(h) as tf.SymbolicTensor;
  if (skip) h = tf.layers.add({ name: 'block_add' }).apply([h, blockInput]) as tf.SymbolicTensor;
  h = tf.layers.reLU({ name: 'block_relu2' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.maxPooling2d({ name: 'block_pool', poolSize: 2 }).apply(h) as tf.SymbolicTensor;
  h = conv('head_conv', 16, true, 'relu').apply(h) as tf.SymbolicTensor;
  h = tf.layers.flatten({ name: 'flatten' }).apply(h) as tf.SymbolicTensor;
  const output = tf.layers
    .dense({ name: 'classifier', units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: initSeed + layerIndex++ }) })
    .apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output, name: skip ? 'demo_cnn_skip' : 'demo_cnn_plain' });
}

function shuffledOrder(n: number, random: () => number): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

async function train(model: tf.LayersModel, data: DatasetSplitArrays): Promise<number[]> {
  model.compile({
    optimizer: tf.train.adam(RECIPE.learningRate, RECIPE.adamBeta1, RECIPE.adamBeta2, RECIPE.adamEpsilon),
    loss: RECIPE.loss,
    metrics: ['accuracy'],
  });
  const pixels = 28 * 28;
  const random = seedrandom(String(RECIPE.shuffleSeed));
  const epochLosses: number[] = [];
  for (let epoch = 0; epoch < RECIPE.epochs; epoch++) {
    const order = shuffledOrder(data.n, random);
    let lossSum = 0;
    for (let start = 0; start < data.n; start += RECIPE.batchSize) {
      const rows = order.subarray(start, Math.min(start + RECIPE.batchSize, data.n));
      const x = new Float32Array(rows.length * pixels);
      const labels = new Int32Array(rows.length);
      rows.forEach((row, k) => {
        x.set(data.x.subarray(row * pixels, (row + 1) * pixels), k * pixels);
        labels[k] = data.y[row]!;
      });
      const xs = tf.tensor4d(x, [rows.length, 28, 28, 1]);
      const labelTensor = tf.tensor1d(labels, 'int32');
      const ys = tf.oneHot(labelTensor, 10);
      const [loss] = (await model.trainOnBatch(xs, ys)) as number[];
      tf.dispose([xs, labelTensor, ys]);
      lossSum += loss! * rows.length;
    }
    epochLosses.push(lossSum / data.n);
    console.log(`  epoch ${epoch + 1}/${RECIPE.epochs}: mean training loss ${(lossSum / data.n).toFixed(4)}`);
  }
  return epochLosses;
}

async function measure(files: LayersModelFiles, split: DatasetSplitArrays): Promise<EvalResult> {
  const evaluator = await TfjsEvaluator.create();
  try {
    await evaluator.load(layersModelArtifact(files, 'demo'));
    await evaluator.setData({ x: split.x, inputShape: [28, 28, 1], y: split.y, n: split.n });
    return await evaluator.evaluate({ loss: 'categorical_crossentropy', batchSize: 250 });
  } finally {
    evaluator.dispose();
  }
}

async function main(): Promise<void> {
  const mnist = builtinDataset('mnist');
  const trained: { spec: DemoSpec; files: LayersModelFiles; epochLosses: number[]; seconds: number; parameterCount: number }[] = [];
  const engine = await initTfjs();
  if (engine.backend === 'wasm') registerWasmConv2DBackpropFilter();
  for (const spec of DEMOS) {
    console.log(`training ${spec.id} on ${tf.getBackend()}`);
    const started = performance.now();
    const model = buildDemoModel(spec.skip);
    const epochLosses = await train(model, mnist.train);
    trained.push({ spec, files: await saveLayersModel(model), epochLosses, seconds: (performance.now() - started) / 1000, parameterCount: model.countParams() });
    model.dispose();
  }
  // Final metrics from the evaluation engine, as surfaces see them.
  const root = fileURLToPath(new URL('../fixtures/models/', import.meta.url));
  for (const { spec, files, epochLosses, seconds, parameterCount } of trained) {
    const trainMetrics = await measure(files, mnist.train);
    const testMetrics = await measure(files, mnist.test);
    const info = {
      id: spec.id,
      name: spec.name,
      description: spec.description,
      dataset: 'mnist',
      parameterCount,
      recipe: { ...RECIPE, shortcut: spec.skip },
      backend: engine,
      epochTrainingLoss: epochLosses,
      final: {
        train: { samples: mnist.train.n, loss: trainMetrics.loss, accuracy: trainMetrics.accuracy },
        test: { samples: mnist.test.n, loss: testMetrics.loss, accuracy: testMetrics.accuracy },
      },
      trainingSeconds: Math.round(seconds),
      trainedAt: new Date().toISOString(),
    };
    const dir = `${root}${spec.id}/`;
    await mkdir(dir, { recursive: true });
    await writeFile(`${dir}model.json`, files['model.json']);
    await writeFile(`${dir}weights.bin`, files['weights.bin']);
    await writeFile(`${dir}model-info.json`, `${JSON.stringify(info, null, 2)}\n`);
    console.log(`${spec.id}: ${parameterCount} parameters, test loss ${testMetrics.loss.toFixed(4)}, accuracy ${testMetrics.accuracy}`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
