import * as ort from 'onnxruntime-node';
import { ContractError } from '../../contract/index.ts';
import { initializerFloats, readOnnxModel } from '../../contract/onnx-model.ts';
import type { Graph } from '../autodiff/graph.ts';
import { appendLoss, TARGETS_INPUT } from '../autodiff/losses.ts';
import { parseOnnx, shapedForwardGraph, type ForwardModel } from '../autodiff/model.ts';
import { appendGradients } from '../autodiff/reverse.ts';
import type { ModelArtifact } from '../engine/evaluator.ts';
import { exportLayersToOnnx, type InitializerBinding } from '../engine/onnx/export-layers.ts';
import { parseModelJson } from '../engine/tfjs/artifact.ts';

/**
 * One training step's numbers on onnxruntime: the loss+gradient graph of the autodiff module
 * (worker/autodiff: shapedForwardGraph in batch-statistics BN mode, appendLoss from logits,
 * appendGradients over every trainable tensor), plus each BatchNormalization's batch mean and
 * biased variance, read into θ's flat layout.
 *
 * Why not createGradientEngine(…, { batchNorm: 'batch' }): at autodiff 8ddd575 its
 * `batchStatistics` come back unchanged (the statistics are copied with `fill` in the direction
 * that reads θ's layout out of the per-channel output, so nothing is written), and the module is
 * its owner's to fix. This class builds the same graphs from the same module and reads the
 * statistics itself; once the engine's statistics are right, the stepper can take the engine and
 * this file goes.
 */

export interface StepNumbers {
  /** Mean per-sample loss over the batch. */
  loss: number;
  /** ∂loss/∂θ, flat layout; 0 on non-trainable entries. */
  gradient: Float32Array;
  /** θ with every BN moving mean/variance replaced by the batch's mean and biased variance. */
  statistics: Float32Array;
}

interface Built {
  session: ort.InferenceSession;
  loss: string;
  gradients: string[];
  statistics: { movingMean: string; movingVariance: string; mean: string; variance: string }[];
  classes: number;
}

function loadArtifact(artifact: ModelArtifact): { forward: ForwardModel; bindings: InitializerBinding[]; theta: Float32Array; channelsFirst: boolean } {
  if (artifact.format === 'onnx') {
    const file = artifact.files['model.onnx'];
    if (!file) throw new ContractError('model.onnx', 'the model has no model.onnx file');
    const reading = readOnnxModel(file);
    const parameters = reading.description.parameters;
    const theta = new Float32Array(parameters.reduce((n, p) => n + p.size, 0));
    const byName = new Map(reading.model.graph!.initializer.map((t) => [t.name, t]));
    for (const p of parameters) theta.set(initializerFloats(byName.get(p.name)!), p.offset);
    const bindings = parameters.map((p) => ({ parameter: p.name, initializer: p.name, offset: p.offset, size: p.size, gather: null }));
    return { forward: parseOnnx(file, new Set(parameters.map((p) => p.name))), bindings, theta, channelsFirst: reading.description.inputShape.length === 3 };
  }
  const weights = artifact.files['weights.bin'];
  if (!weights) throw new ContractError('weights.bin', 'the model has no weights.bin file');
  const theta = new Float32Array(new Uint8Array(weights).slice().buffer);
  const exported = exportLayersToOnnx(parseModelJson(artifact.files), theta);
  const forward = parseOnnx(exported.model, new Set(exported.initializerMap.map((b) => b.initializer)));
  return { forward, bindings: exported.initializerMap, theta, channelsFirst: false };
}

/** Row-major [n, h, w, c] → [n, c, h, w]. */
function toChannelsFirst(x: Float32Array, n: number, [h, w, c]: number[]): Float32Array {
  const out = new Float32Array(x.length);
  const plane = h! * w!;
  for (let s = 0; s < n; s++) {
    const base = s * plane * c!;
    for (let p = 0; p < plane; p++) for (let k = 0; k < c!; k++) out[base + k * plane + p] = x[base + p * c! + k]!;
  }
  return out;
}

export class TrainingGradients {
  readonly mask: Uint8Array;
  private readonly graphs = new Map<number, Promise<Built>>();
  private readonly loaded: ReturnType<typeof loadArtifact>;
  private readonly trainable: InitializerBinding[];
  private readonly feeds: Map<string, ort.Tensor>;

  constructor(
    private readonly artifact: ModelArtifact,
    /** One sample as the dataset stores it ([h, w, c] for images). */
    private readonly sampleShape: number[],
    private readonly threads: number,
  ) {
    this.loaded = loadArtifact(artifact);
    const info = new Map(artifact.parameters.map((p) => [p.name, p]));
    this.trainable = this.loaded.bindings.filter((b) => info.get(b.parameter)?.trainable);
    this.mask = new Uint8Array(this.loaded.theta.length);
    for (const b of this.trainable) this.mask.fill(1, b.offset, b.offset + b.size);
    const dims = this.loaded.forward.parameters;
    this.feeds = new Map(this.loaded.bindings.map((b) => [b.initializer, new ort.Tensor('float32', new Float32Array(b.size), dims.get(b.initializer)!)]));
  }

  /** θ* of the artifact, flat layout. */
  initialParameters(): Float32Array {
    return this.loaded.theta.slice();
  }

  private graphShape(): number[] {
    const [h, w, c] = this.sampleShape;
    return this.loaded.channelsFirst ? [c!, h!, w!] : this.sampleShape;
  }

  private build(rows: number): Promise<Built> {
    let built = this.graphs.get(rows);
    if (!built) {
      built = (async () => {
        const dims = this.loaded.forward.parameters;
        const initial = new Map(this.loaded.bindings.map((b) => [b.initializer, this.read(this.loaded.theta, b)]));
        const g: Graph = await shapedForwardGraph(this.loaded.forward, rows, this.graphShape(), initial, 'model', 'batch');
        const appended = appendLoss(g, 'categorical_crossentropy', this.artifact.outputActivation);
        const wrt = this.trainable.map((b) => b.initializer);
        const values = appendGradients(g, appended.loss, wrt, 'model');
        const gradients = wrt.map((p) => values.get(p) ?? g.zeros(dims.get(p)!));
        const statistics = [...g.batchStatistics];
        const outputs = [appended.loss, ...gradients, ...statistics.flatMap((s) => [s.mean, s.variance])];
        const session = await ort.InferenceSession.create(g.encode([...new Set(outputs)]), {
          intraOpNumThreads: this.threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
        });
        return { session, loss: appended.loss, gradients, statistics, classes: appended.targetWidth };
      })();
      this.graphs.set(rows, built);
    }
    return built;
  }

  /** θ's entries of one initializer in the graph's layout. */
  private read(theta: Float32Array, b: InitializerBinding): Float32Array {
    const out = new Float32Array(b.size);
    const source = theta.subarray(b.offset, b.offset + b.size);
    if (b.gather) for (let i = 0; i < b.size; i++) out[i] = source[b.gather[i]!]!;
    else out.set(source);
    return out;
  }

  /** Graph-layout values of one initializer written into θ's flat layout. */
  private write(theta: Float32Array, values: Float32Array, b: InitializerBinding): void {
    if (b.gather) for (let i = 0; i < b.size; i++) theta[b.offset + b.gather[i]!] = values[i]!;
    else theta.set(values, b.offset);
  }

  async step(theta: Float32Array, x: Float32Array, labels: Int32Array, n: number): Promise<StepNumbers> {
    const built = await this.build(n);
    for (const b of this.loaded.bindings) {
      const target = this.feeds.get(b.initializer)!.data as Float32Array;
      if (b.gather) {
        const source = theta.subarray(b.offset, b.offset + b.size);
        for (let i = 0; i < b.size; i++) target[i] = source[b.gather[i]!]!;
      } else target.set(theta.subarray(b.offset, b.offset + b.size));
    }
    const targets = new Float32Array(n * built.classes);
    for (let i = 0; i < n; i++) {
      const label = labels[i]!;
      if (!(label >= 0 && label < built.classes)) throw new ContractError('dataset', `class label ${label} is out of range for a model with ${built.classes} classes`);
      targets[i * built.classes + label] = 1;
    }
    const input = this.loaded.channelsFirst ? toChannelsFirst(x, n, this.sampleShape) : x;
    const feeds: Record<string, ort.Tensor> = {
      [this.loaded.forward.dataInput]: new ort.Tensor('float32', input, [n, ...this.graphShape()]),
      [TARGETS_INPUT]: new ort.Tensor('float32', targets, [n, built.classes]),
    };
    for (const [name, t] of this.feeds) feeds[name] = t;
    const results = await built.session.run(feeds);
    try {
      const gradient = new Float32Array(theta.length);
      const inverse = 1 / n;
      this.trainable.forEach((b, k) => {
        const values = results[built.gradients[k]!]!.data as Float32Array;
        const mean = new Float32Array(values.length);
        for (let i = 0; i < values.length; i++) mean[i] = values[i]! * inverse;
        this.write(gradient, mean, b);
      });
      const statistics = theta.slice();
      const bindingOf = new Map(this.loaded.bindings.map((b) => [b.initializer, b]));
      for (const s of built.statistics) {
        this.write(statistics, results[s.mean]!.data as Float32Array, bindingOf.get(s.movingMean)!);
        this.write(statistics, results[s.variance]!.data as Float32Array, bindingOf.get(s.movingVariance)!);
      }
      return { loss: (results[built.loss]!.data as Float32Array)[0]! / n, gradient, statistics };
    } finally {
      for (const t of Object.values(results)) t.dispose();
    }
  }

  async dispose(): Promise<void> {
    const built = [...this.graphs.values()];
    this.graphs.clear();
    for (const b of built) await b.then((x) => x.session.release(), () => undefined);
  }
}
