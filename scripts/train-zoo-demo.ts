/**
 * Trains the zoo demo models with the committed seeded recipes below and writes
 * fixtures/models/<id>/ (model.json, weights.bin, model-info.json); the API registers the folders at
 * boot. Each demo is a comparison of nets that differ only in their skip connections, trained from
 * the same seed (so the same initial weights in every shared layer, and the same batch order):
 *   demo-resnets-fashion   ResNet-20/56 ±shortcuts at width ×1 on Fashion-MNIST
 *   demo-dense-vs-plain    densenet-small vs the same net without its concatenations, on Fashion-MNIST
 *   demo-unet-long-skips   U-Net with and without its long skips, Fashion-MNIST article segmentation
 *
 * `npm run demos` (scripts/rebuild-demos.ts) trains and exports every demo with one command; by hand:
 * Run: npx tsx scripts/train-zoo-demo.ts [model-id,model-id,...]   (default: every demo model)
 * A model whose model-info.json exists is kept (delete the folder to retrain it), so an interrupted
 * run resumes with the model it was training. Two shells with different id lists use both cores
 * (training runs one onnxruntime thread per process: 145 img/s on one thread against 162 on two).
 * Training goes through worker/training/run.ts, the path training jobs take.
 *
 * Then, on a running stack: npx tsx scripts/export-demo-comparison.ts <demo-id> [base-url] (which also
 * computes each member's spectrum and the demo's direction-ensemble companion, if it names one)
 */
import { access, mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { ArchitectureSpec } from '../contract/architectures.ts';
import type { ComparisonRequest } from '../contract/comparisons.ts';
import type { SpectrumRequest } from '../contract/metrics/spectrum.ts';
import { resolveTrainingRequest, type TrainingRequest } from '../contract/training.ts';
import { builtinDataset } from '../worker/datasets/builtin.ts';
import { initTfjs } from '../worker/engine/tfjs/backend.ts';
import { runTraining } from '../worker/training/run.ts';

type Recipe = Omit<TrainingRequest, 'architecture' | 'name'>;

interface DemoModel {
  id: string;
  architecture: ArchitectureSpec;
  /** The catalog's skip kind of this member, for the tags. */
  skip: boolean;
  name: string;
  recipe: Recipe;
  /** Minutes its training took on one onnxruntime thread here (model-info.json's trainingSeconds), for scripts/rebuild-demos.ts's lanes. */
  trainingMinutes?: number;
}

export interface Demo {
  /** The comparison fixture's id (fixtures/comparisons/<id>/). */
  id: string;
  /** Why the recipe and the budget are what they are; shown in model-info.json. */
  budget: string;
  models: DemoModel[];
  comparison: ComparisonRequest;
  /** The Hessian spectrum the export requests at θ* of every member that has none. */
  spectrum: SpectrumRequest;
  /**
   * A direction-ensemble companion the export runs after the comparison: the same members, samples
   * and directions seed over k direction pairs on a grid×grid grid of the same extent, Hessian maps off.
   */
  ensemble?: { k: number; grid: number };
}

/**
 * The paper's recipe (SGD + Nesterov 0.9, batch 128, weight decay 5e-4, initial rate 0.1, which the
 * reference also used for ResNet-56-noshort) on a shortened cosine schedule over a seeded 30,000 of
 * the 60,000 Fashion-MNIST training images: 3 epochs, what fits the demo's two-hour budget on 2 cores
 * for the dense and U-Net demos; the paper trains 300 epochs. The test split is the official 10,000
 * images, whole.
 */
const FASHION_RECIPE: Recipe = {
  dataset: { id: 'fashion-mnist', samples: 30_000, sampleSeed: 0 }, epochs: 3, batchSize: 128,
  optimizer: { name: 'sgd', learningRate: 0.1, momentum: 0.9, nesterov: true },
  schedule: { kind: 'cosine' }, weightDecay: 5e-4, seed: 2018, checkpointEvery: 0,
};

/**
 * The ResNets get more epochs of the same recipe: after 3, ResNet-56 still underfit (87.8 % train and
 * 86.2 % test accuracy, against ResNet-20's 93.4 % and 90.8 %). The 20-layer nets train 5 epochs
 * (ResNet-20: 92.0 % test); the 56-layer nets 7, since after 5 ResNet-56 stood at 91.9 % train and
 * 89.9 % test accuracy, still rising at the last epoch. Their first epoch warms the rate up linearly
 * (step s of its 235 takes (s + 1)/235 of the scheduled rate): without it, the first steps at rate 0.1
 * decide the run, since a 56-layer net at initialisation amplifies rounding differences between
 * engines by 50× more than a 20-layer one. The same 7 epochs without warm-up gave 91.05 % once and
 * 88.5 % on the next engine version (epoch-1 training loss 1.39 and 1.76); with it, epoch 1 ends at
 * loss 0.87 and epoch 4 already at 89.7 % test accuracy. ResNet-56 ×1 trains at 64 images/s on one
 * onnxruntime thread of an AMD Zen 4 core (about 55 minutes per net), 46 on a Zen 3 (about 75).
 */
const RESNET_RECIPE: Recipe = { ...FASHION_RECIPE, epochs: 5 };
const DEEP_RESNET_RECIPE: Recipe = { ...FASHION_RECIPE, epochs: 7, warmupEpochs: 1 };

/** The segmentation demo trains on all 8,000 training articles of fashion-mnist-seg, 4 epochs. */
const SEGMENTATION_RECIPE: Recipe = { ...FASHION_RECIPE, dataset: { id: 'fashion-mnist-seg' }, epochs: 4 };

/** Minutes each ResNet's training took on one onnxruntime thread here (2026-12-07, AMD EPYC Zen 4, two lanes side by side). */
const TRAINING_MINUTES = { resnet20: 13.0, 'resnet20-noshort': 12.8, resnet56: 54.5, 'resnet56-noshort': 52.0 };

const hessianOf = (points: number, samples: number) => ({ points, samples });

/**
 * One spectrum at θ* per member on the demo's Hessian samples, sized for deep nets on CPU (a
 * ResNet-56 ×1 Hessian-vector product on 16 images takes about 3 s on one core): the top 3
 * eigenvalues to a 1 % residual in at most 40 products, the trace from 10 Rademacher vectors, and
 * the SLQ density from one vector of 30 Lanczos steps on 500 bins; at most 80 products, a few
 * minutes per member. PyHessian's defaults (top 5 to 0.1 %, 100-step SLQ) cost about 3× that.
 */
const spectrumOf = (samples: number): SpectrumRequest => ({ samples, topK: 3, tolerance: 1e-2, maxSteps: 40, traceSamples: 10, densitySteps: 30, densityVectors: 1, bins: 500 });

export const DEMOS: Demo[] = [
  {
    id: 'demo-resnets-fashion',
    budget: fashionBudget(
      `${RESNET_RECIPE.epochs} epochs at 20 layers and ${DEEP_RESNET_RECIPE.epochs} at 56`,
      `${DEEP_RESNET_RECIPE.epochs} at 56 being what ResNet-56 needed to pass 90 % test accuracy, the first of them a linear warm-up of the rate: the three demos train and export in about 2 h 10 min on 2 Zen 4 cores`,
    ),
    models: (['resnet20', 'resnet20-noshort', 'resnet56', 'resnet56-noshort'] as const).map((arch) => ({
      id: `zoo-${arch}-fashion`, architecture: { id: arch, width: 1 }, skip: !arch.endsWith('-noshort'),
      name: `${arch.replace('resnet', 'ResNet-')} on Fashion-MNIST`, recipe: arch.startsWith('resnet56') ? DEEP_RESNET_RECIPE : RESNET_RECIPE,
      trainingMinutes: TRAINING_MINUTES[arch],
    })),
    comparison: {
      name: 'Skip connections vs depth at full width (ResNet-20/56 with and without shortcuts, Fashion-MNIST)',
      members: [],
      shared: {
        // What fits the budget on 2 cores: a 31×31 grid on 250 test images (the paper: 51×51 on 10,000), and
        // 9×9 Hessian points on 16 images: an exact ResNet-56 ×1 product on 16 images takes about 0.35 s on
        // one core, so its 81 points (≈ 20 products each) about 10 minutes.
        dataset: { id: 'fashion-mnist', split: 'test', samples: 250, sampleSeed: 0 },
        grid: { x: { min: -1, max: 1, num: 31 }, y: { min: -1, max: 1, num: 31 } },
        directions: { seed: 0, normalization: 'filter', ignore: 'biasbn', mode: 'weights' },
        hessian: hessianOf(9, 16),
      },
    },
    spectrum: spectrumOf(16),
    // k = 5 direction pairs per member on 11×11 points of the same 250 images: 4 × 5 × 121 points, about
    // 0.63× the main 31×31 comparison, so that the finding can say whether a difference exceeds the
    // spread (21×21 did not fit beside the 9×9 maps of the 56-layer nets).
    ensemble: { k: 5, grid: 11 },
  },
  {
    id: 'demo-dense-vs-plain',
    budget: fashionBudget(`${FASHION_RECIPE.epochs} epochs`),
    models: [
      { id: 'zoo-densenet-small-fashion', architecture: { id: 'densenet-small' }, skip: true, name: 'Small DenseNet on Fashion-MNIST', recipe: FASHION_RECIPE, trainingMinutes: 8.6 },
      { id: 'zoo-densenet-small-noskip-fashion', architecture: { id: 'densenet-small-noskip' }, skip: false, name: 'Small DenseNet without concatenations on Fashion-MNIST', recipe: FASHION_RECIPE, trainingMinutes: 3.0 },
    ],
    comparison: {
      name: 'Dense connections vs a plain chain of equal depth (small DenseNet, Fashion-MNIST)',
      members: [],
      shared: {
        dataset: { id: 'fashion-mnist', split: 'test', samples: 500, sampleSeed: 0 },
        grid: { x: { min: -1, max: 1, num: 31 }, y: { min: -1, max: 1, num: 31 } },
        directions: { seed: 0, normalization: 'filter', ignore: 'biasbn', mode: 'weights' },
        hessian: hessianOf(5, 32),
      },
    },
    spectrum: spectrumOf(32),
  },
  {
    id: 'demo-unet-long-skips',
    budget: 'the paper\'s recipe on a cosine schedule, 4 epochs over the 8,000 training articles of fashion-mnist-seg',
    models: (['concat', 'none'] as const).map((skips) => ({
      id: `zoo-unet-${skips}-fashion-seg`, architecture: { id: 'unet', width: 1, depth: 2, skips }, skip: skips !== 'none',
      name: `U-Net (${skips === 'none' ? 'long skips removed' : 'long skips concatenated'}) on Fashion-MNIST segmentation`, recipe: SEGMENTATION_RECIPE,
      trainingMinutes: skips === 'none' ? 1.5 : 1.7,
    })),
    comparison: {
      name: 'U-Net long skips (concatenated vs removed, Fashion-MNIST article segmentation)',
      members: [],
      shared: {
        dataset: { id: 'fashion-mnist-seg', split: 'test', samples: 500, sampleSeed: 0 },
        grid: { x: { min: -1, max: 1, num: 31 }, y: { min: -1, max: 1, num: 31 } },
        directions: { seed: 0, normalization: 'filter', ignore: 'biasbn', mode: 'weights' },
        hessian: hessianOf(5, 32),
      },
    },
    spectrum: spectrumOf(32),
  },
];

function fashionBudget(epochs: string, why = 'to fit the two-hour demo budget on 2 cores'): string {
  return `the paper's recipe on a cosine schedule shortened to ${epochs} over a seeded 30,000 of the 60,000 training images (the paper: 300 epochs on CIFAR-10), ${why}`;
}

for (const demo of DEMOS) demo.comparison.members = demo.models.map((m) => ({ model: m.id, label: m.architecture.id + (m.architecture.skips ? `-${m.architecture.skips}` : '') }));

const DEMO_MODELS = DEMOS.flatMap((demo) => demo.models.map((model) => ({ demo, model })));

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}

async function main(): Promise<void> {
  const only = process.argv[2]?.split(',');
  const unknown = only?.filter((id) => !DEMO_MODELS.some(({ model }) => model.id === id)) ?? [];
  if (unknown.length > 0) throw new Error(`unknown demo model(s) ${unknown.join(', ')}; known: ${DEMO_MODELS.map(({ model }) => model.id).join(', ')}`);
  const chosen = DEMO_MODELS.filter(({ model }) => !only || only.includes(model.id));
  await initTfjs();
  // ZOO_DEMO_OUT stages a run elsewhere (a directory ending in /) before it replaces the fixtures.
  const root = process.env.ZOO_DEMO_OUT ?? fileURLToPath(new URL('../fixtures/models/', import.meta.url));
  for (const { demo, model } of chosen) {
    const dir = `${root}${model.id}/`;
    if (await exists(`${dir}model-info.json`)) {
      console.log(`${model.id}: trained already (${dir}); delete the folder to retrain`);
      continue;
    }
    const request = resolveTrainingRequest({ ...model.recipe, architecture: model.architecture, name: model.name });
    const dataset = builtinDataset(request.dataset.id);
    console.log(`${new Date().toISOString()} training ${model.id} on ${request.engine}`);
    const run = await runTraining(request, dataset, {
      measureTrainSplit: false,
      onEpoch: (m) => console.log(`  ${model.id} epoch ${m.epoch}: lr ${m.learningRate.toFixed(4)} loss ${m.loss.toFixed(4)} test ${m.testLoss.toFixed(4)} / ${m.testAccuracy.toFixed(4)} (${m.seconds.toFixed(0)} s)`),
    });
    const lastEpoch = run.history[run.history.length - 1]!;
    const info = {
      id: model.id,
      name: model.name,
      description: `${model.architecture.id}${model.architecture.width ? ` at width ${model.architecture.width}` : ''} trained ${request.epochs} epoch(s) on ${request.dataset.samples ?? dataset.train.n} ${request.dataset.id} training samples with the demo recipe of ${demo.id} (scripts/train-zoo-demo.ts): ${demo.budget}.`,
      source: 'zoo',
      dataset: request.dataset.id,
      tags: ['zoo', model.architecture.id.split('-')[0]!.replace(/\d+$/, ''), model.skip ? 'skip' : 'noskip'],
      architecture: model.architecture,
      pairedWith: demo.models.find((m) => m !== model && m.skip !== model.skip && m.architecture.id.replace(/-no(short|skip)$/, '') === model.architecture.id.replace(/-no(short|skip)$/, '') && (m.architecture.depth ?? 0) === (model.architecture.depth ?? 0))?.id ?? null,
      parameterCount: run.parameterCount,
      recipe: request,
      backend: run.backend,
      history: run.history,
      final: {
        train: {
          samples: request.dataset.samples ?? dataset.train.n,
          mode: lastEpoch.accuracy === null ? 'the trained samples, BN in inference mode' : 'last epoch, training mode (batch statistics)',
          ...run.finalTrain,
        },
        test: { samples: dataset.test.n, ...run.finalTest },
      },
      trainingSeconds: Math.round(run.seconds),
      trainedAt: new Date().toISOString(),
    };
    await mkdir(dir, { recursive: true });
    await writeFile(`${dir}model.json`, run.files['model.json']);
    await writeFile(`${dir}weights.bin`, run.files['weights.bin']);
    await writeFile(`${dir}model-info.json`, `${JSON.stringify(info, null, 2)}\n`);
    console.log(`${new Date().toISOString()} ${model.id}: ${run.parameterCount} parameters, train acc ${run.finalTrain.accuracy}, test acc ${run.finalTest.accuracy}, ${Math.round(run.seconds)} s`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
