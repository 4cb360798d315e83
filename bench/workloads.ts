import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as tf from '../worker/engine/tfjs/tf.ts';
import type { LossName } from '../contract/index.ts';
import { builtinDataset } from '../worker/datasets/builtin.ts';
import { evaluationData } from '../worker/datasets/select.ts';
import type { EvalData, ModelArtifact } from '../worker/engine/evaluator.ts';
import { layersModelArtifact } from '../worker/engine/tfjs/artifact.ts';
import { initTfjs } from '../worker/engine/tfjs/backend.ts';
import { saveLayersModel } from '../worker/engine/tfjs/save-model.ts';
import { gaussianStream, uniformStream } from '../worker/numeric/rng.ts';
import { mlp } from '../worker/zoo/mlp.ts';
import { resnet } from '../worker/zoo/resnet.ts';

/** The fixed benchmark workloads of issue 4. */
export const WORKLOAD_IDS = ['W1', 'W2', 'W3'] as const;
export type WorkloadId = (typeof WORKLOAD_IDS)[number];

export interface WorkloadMeta {
  id: WorkloadId;
  description: string;
  loss: LossName;
  batchSize: number;
  inputShape: number[];
  n: number;
  labels: 'int32' | 'float32';
}

/** A prepared workload as the point workers load it. */
export interface Workload {
  meta: WorkloadMeta;
  artifact: ModelArtifact;
  data: EvalData;
}

const W1_SAMPLES = 1000;
const W1_CALIBRATION_SAMPLES = 128;
const BATCH_SIZE = 128;

/**
 * Set every BN layer's moving statistics to the batch statistics of its input on `x`, layer by
 * layer in graph order (later layers see the already calibrated earlier ones).
 */
async function calibrateBatchNorm(model: tf.LayersModel, x: tf.Tensor): Promise<void> {
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    // A view on the same layers: disposing it would dispose the model's weights, so it is left to GC.
    const probe = tf.model({ inputs: model.inputs, outputs: layer.input as tf.SymbolicTensor });
    const [mean, variance] = tf.tidy(() => {
      const moments = tf.moments(probe.predict(x) as tf.Tensor, [0, 1, 2]);
      return [moments.mean, moments.variance];
    });
    const [gamma, beta] = layer.getWeights();
    layer.setWeights([gamma!, beta!, mean!, variance!]);
    tf.dispose([mean!, variance!]);
  }
}

function syntheticImages(n: number, shape: number[], classes: number, seed: number): EvalData {
  const normal = gaussianStream(seed);
  const uniform = uniformStream(seed + 1);
  const x = new Float32Array(n * shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < x.length; i++) x[i] = normal();
  const y = Int32Array.from({ length: n }, () => Math.floor(uniform() * classes));
  return { x, inputShape: shape, y, n };
}

async function buildW1(): Promise<{ files: Record<string, Uint8Array>; data: EvalData }> {
  await initTfjs();
  const data = syntheticImages(W1_SAMPLES, [32, 32, 3], 10, 4);
  const model = resnet({ depth: 20, skip: true, inputShape: [32, 32, 3], classes: 10, seed: 0 });
  const calibration = tf.tensor(data.x.subarray(0, W1_CALIBRATION_SAMPLES * 3072), [W1_CALIBRATION_SAMPLES, 32, 32, 3]);
  await calibrateBatchNorm(model, calibration);
  calibration.dispose();
  const files = await saveLayersModel(model);
  model.dispose();
  return { files, data };
}

async function buildW2(): Promise<{ files: Record<string, Uint8Array>; data: EvalData }> {
  const dir = new URL('../fixtures/models/demo-cnn-skip/', import.meta.url);
  const files = { 'model.json': await readFile(new URL('model.json', dir)), 'weights.bin': await readFile(new URL('weights.bin', dir)) };
  return { files, data: evaluationData(builtinDataset('mnist'), 'test', 1000, 0).data };
}

async function buildW3(): Promise<{ files: Record<string, Uint8Array>; data: EvalData }> {
  await initTfjs();
  const model = mlp({ inputShape: [2], classes: 2, units: 32, blocks: 3, residual: true, seed: 0 });
  const files = await saveLayersModel(model);
  model.dispose();
  return { files, data: evaluationData(builtinDataset('spirals'), 'train', 1000, 0).data };
}

const DESCRIPTIONS: Record<WorkloadId, string> = {
  W1: 'ResNet-20 (16/32/64), 32×32×3, random init + BN calibrated on the data, 1,000 synthetic samples',
  W2: 'demo MNIST CNN with skip (fixtures/models/demo-cnn-skip), 1,000 MNIST test samples',
  W3: 'MLP-res (32 units, 3 blocks) on spirals, 1,000 samples',
};

const LOSSES: Record<WorkloadId, LossName> = { W1: 'sparse_categorical_crossentropy', W2: 'categorical_crossentropy', W3: 'sparse_categorical_crossentropy' };

/** Build the workload once into `dir` (model files, samples, meta); later runs reuse it. */
export async function prepareWorkload(id: WorkloadId, dir: string): Promise<void> {
  if (existsSync(`${dir}/meta.json`)) return;
  const { files, data } = await (id === 'W1' ? buildW1() : id === 'W2' ? buildW2() : buildW3());
  await mkdir(dir, { recursive: true });
  await writeFile(`${dir}/model.json`, files['model.json']!);
  await writeFile(`${dir}/weights.bin`, files['weights.bin']!);
  await writeFile(`${dir}/x.bin`, new Uint8Array(data.x.buffer, data.x.byteOffset, data.x.byteLength));
  await writeFile(`${dir}/y.bin`, new Uint8Array(data.y.buffer, data.y.byteOffset, data.y.byteLength));
  const meta: WorkloadMeta = {
    id,
    description: DESCRIPTIONS[id],
    loss: LOSSES[id],
    batchSize: BATCH_SIZE,
    inputShape: data.inputShape,
    n: data.n,
    labels: data.y instanceof Int32Array ? 'int32' : 'float32',
  };
  await writeFile(`${dir}/meta.json`, JSON.stringify(meta, null, 2));
}

function floats(bytes: Uint8Array): Float32Array {
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

export async function loadWorkload(dir: string): Promise<Workload> {
  const meta = JSON.parse(await readFile(`${dir}/meta.json`, 'utf8')) as WorkloadMeta;
  const files = { 'model.json': await readFile(`${dir}/model.json`), 'weights.bin': await readFile(`${dir}/weights.bin`) };
  const yBytes = await readFile(`${dir}/y.bin`);
  const yBuffer = yBytes.buffer.slice(yBytes.byteOffset, yBytes.byteOffset + yBytes.byteLength);
  return {
    meta,
    artifact: layersModelArtifact(files, meta.id),
    data: {
      x: floats(await readFile(`${dir}/x.bin`)),
      inputShape: meta.inputShape,
      y: meta.labels === 'int32' ? new Int32Array(yBuffer) : new Float32Array(yBuffer),
      n: meta.n,
    },
  };
}

/**
 * θ + k·step·v at the k-th call (k = 1, 2, …): timing each gradient or first product at a new θ, as
 * training, gradient flow and a Hessian map's grid points take them, pays for the session the
 * engine builds per θ; timing them at one θ would flatter the figure.
 */
export function thetaWalk(theta: Float32Array, v: Float32Array, step: number): () => Float32Array {
  let k = 0;
  return () => {
    k += 1;
    return theta.map((t, i) => t + step * k * v[i]!);
  };
}
