import { describe, expect, it } from 'vitest';
import { describeOnnxModel, onnx } from '../../contract/onnx-model.ts';
import type { ModelArtifact } from '../engine/evaluator.ts';
import { floatTensor, intAttr } from '../engine/onnx/torch-like-models.ts';
import { symmetricEigen } from '../hessian/symmetric-eigen.ts';
import { createGradientEngine } from './index.ts';
import { relativeError, values } from './ops/gradient-check.ts';
import { conv2d, pool2d } from './ops/reference.ts';

/**
 * End to end on a small conv net laid out as torch.onnx.export writes it: Conv → BN → Relu →
 * Conv → BN → (+ residual) → Relu → MaxPool → GlobalAveragePool → Flatten → Gemm → Softmax,
 * cross-entropy from logits. Against a float64 reference of the same network: the gradient
 * (finite differences of the mean loss), the exact Hessian-vector products (mixed second
 * differences), and the dense Hessian over the conv and linear weights (symmetry, eigenvalues).
 */

const N = 5;
const C = 2;
const S = 6;
const CLASSES = 3;

interface Tensor {
  name: string;
  dims: number[];
  values: Float64Array;
}

function parameters(): Tensor[] {
  const t = (name: string, dims: number[], v: Float64Array) => ({ name, dims, values: v });
  const count = (dims: number[]) => dims.reduce((a, b) => a * b, 1);
  return [
    t('conv1.weight', [C, 1, 3, 3], values(count([C, 1, 3, 3]), 101, 0.7)),
    t('conv1.bias', [C], values(C, 102, 0.2)),
    t('bn1.weight', [C], values(C, 103, 0.3, 1)),
    t('bn1.bias', [C], values(C, 104, 0.2)),
    t('bn1.running_mean', [C], values(C, 105, 0.2)),
    t('bn1.running_var', [C], values(C, 106, 0.3, 0.8)),
    t('conv2.weight', [C, C, 3, 3], values(count([C, C, 3, 3]), 107, 0.5)),
    t('bn2.weight', [C], values(C, 108, 0.3, 1)),
    t('bn2.bias', [C], values(C, 109, 0.2)),
    t('bn2.running_mean', [C], values(C, 110, 0.2)),
    t('bn2.running_var', [C], values(C, 111, 0.3, 0.8)),
    t('fc.weight', [CLASSES, C], values(CLASSES * C, 112, 1.5)),
    t('fc.bias', [CLASSES], values(CLASSES, 113, 0.2)),
  ];
}

function model(): Uint8Array {
  const node = (opType: string, input: string[], output: string, attribute: InstanceType<typeof onnx.AttributeProto>[] = []) =>
    onnx.NodeProto.create({ name: `/${output}`, opType, input, output: [output], attribute });
  const info = (name: string, dims: (number | string)[]) =>
    onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } } });
  const conv = [intAttr('kernel_shape', [3, 3]), intAttr('pads', [1, 1, 1, 1])];
  const graph = onnx.GraphProto.create({
    name: 'small_resnet',
    node: [
      node('Conv', ['input', 'conv1.weight', 'conv1.bias'], 'c1', conv),
      node('BatchNormalization', ['c1', 'bn1.weight', 'bn1.bias', 'bn1.running_mean', 'bn1.running_var'], 'b1'),
      node('Relu', ['b1'], 'r1'),
      node('Conv', ['r1', 'conv2.weight'], 'c2', conv),
      node('BatchNormalization', ['c2', 'bn2.weight', 'bn2.bias', 'bn2.running_mean', 'bn2.running_var'], 'b2'),
      node('Add', ['b2', 'r1'], 'sum'),
      node('Relu', ['sum'], 'r2'),
      node('MaxPool', ['r2'], 'pool', [intAttr('kernel_shape', [2, 2]), intAttr('strides', [2, 2])]),
      node('GlobalAveragePool', ['pool'], 'gap'),
      node('Flatten', ['gap'], 'flat', [intAttr('axis', 1)]),
      node('Gemm', ['flat', 'fc.weight', 'fc.bias'], 'logits', [intAttr('transB', 1)]),
      node('Softmax', ['logits'], 'probabilities', [intAttr('axis', 1)]),
    ],
    initializer: parameters().map((p) => floatTensor(p.name, p.dims, Float32Array.from(p.values))),
    input: [info('input', ['batch', 1, S, S])],
    output: [info('probabilities', ['batch', CLASSES])],
  });
  return onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph })).finish();
}

/** Smallest distance of a ReLU input from 0 and of a max-pool winner from its runner-up: kinks out of reach when large. */
interface Margins {
  relu: number;
  pool: number;
}

/** Float64 forward of the network at θ (flat, parameter order) → mean cross-entropy. */
function referenceLoss(theta: Float64Array, x: Float64Array, y: Int32Array, margins?: Margins): number {
  const params = parameters();
  let offset = 0;
  const p: Record<string, Float64Array> = {};
  for (const t of params) {
    const size = t.values.length;
    p[t.name] = theta.subarray(offset, offset + size);
    offset += size;
  }
  const spec = { n: N, c: 1, h: S, w: S, o: C, kh: 3, kw: 3, stride: [1, 1] as [number, number], dilation: [1, 1] as [number, number], pads: [1, 1, 1, 1] as [number, number, number, number], group: 1 };
  const bn = (v: Float64Array, prefix: string) =>
    v.map((value, i) => {
      const c = Math.floor(i / (S * S)) % C;
      return ((value - p[`${prefix}.running_mean`]![c]!) / Math.sqrt(p[`${prefix}.running_var`]![c]! + 1e-5)) * p[`${prefix}.weight`]![c]! + p[`${prefix}.bias`]![c]!;
    });
  const relu = (v: Float64Array) => {
    if (margins) for (const value of v) margins.relu = Math.min(margins.relu, Math.abs(value));
    return v.map((value) => Math.max(value, 0));
  };
  const r1 = relu(bn(conv2d(x, p['conv1.weight']!, p['conv1.bias']!, spec), 'bn1'));
  const b2 = bn(conv2d(r1, p['conv2.weight']!, null, { ...spec, c: C }), 'bn2');
  const r2 = relu(b2.map((v, i) => v + r1[i]!));
  if (margins) {
    for (let nc = 0; nc < N * C; nc++)
      for (let i = 0; i < S; i += 2)
        for (let j = 0; j < S; j += 2) {
          const window = [0, 1].flatMap((a) => [0, 1].map((b) => r2[(nc * S + i + a) * S + j + b]!)).sort((u, v) => v - u);
          // A window of zeros (all inputs negative) has no kink: its max is 0 whatever wins.
          if (window[0]! > 0) margins.pool = Math.min(margins.pool, window[0]! - window[1]!);
        }
  }
  const pooled = pool2d(r2, { n: N, c: C, h: S, w: S, kh: 2, kw: 2, stride: [2, 2], pads: [0, 0, 0, 0] }, 'max');
  const plane = (S / 2) ** 2;
  let total = 0;
  for (let n = 0; n < N; n++) {
    const features = Array.from({ length: C }, (_, c) => pooled.subarray((n * C + c) * plane, (n * C + c + 1) * plane).reduce((a, b) => a + b, 0) / plane);
    const logits = Array.from({ length: CLASSES }, (_, k) => features.reduce((s, f, c) => s + f * p['fc.weight']![k * C + c]!, p['fc.bias']![k]!));
    const max = Math.max(...logits);
    const lse = max + Math.log(logits.reduce((s, z) => s + Math.exp(z - max), 0));
    total += lse - logits[y[n]!]!;
  }
  return total / N;
}

function artifact(): ModelArtifact {
  const file = model();
  const description = describeOnnxModel(file);
  return { hash: 'small-resnet', format: 'onnx', files: { 'model.onnx': file }, parameters: description.parameters, outputActivation: description.outputActivation };
}

const x = values(N * S * S, 8, 1.5);
const labels = Int32Array.from({ length: N }, (_, i) => i % CLASSES);
const data = { x: Float32Array.from(x), inputShape: [1, S, S], y: labels, n: N };

describe('autodiff end to end: small conv net with BN, residual add, pooling, dense', () => {
  it('the loss is free of kinks within the finite-difference steps at θ*', () => {
    const margins = { relu: Infinity, pool: Infinity };
    referenceLoss(Float64Array.from(parameters().flatMap((p) => [...p.values])), x, labels, margins);
    expect(margins.relu).toBeGreaterThan(2e-3);
    expect(margins.pool).toBeGreaterThan(2e-3);
  });

  // Several chunks take the graph with θ as initializers (a session per θ), one chunk θ fed as inputs.
  it.each([['several chunks', 2], ['one chunk', N]])('gradient over every trainable tensor matches float64 finite differences of the loss (%s)', async (_, batchSize) => {
    const engine = await createGradientEngine(artifact(), { parameters: 'trainable', batchNorm: 'moving', loss: 'sparse_categorical_crossentropy', batchSize });
    try {
      await engine.setData(data);
      const theta = engine.initialParameters();
      const theta64 = Float64Array.from(theta);
      const { loss, gradient } = await engine.lossAndGradient(theta);
      expect(Math.abs(loss - referenceLoss(theta64, x, labels))).toBeLessThan(1e-6);
      const eps = 1e-6;
      const fd = new Float64Array(theta.length);
      for (let i = 0; i < theta.length; i++) {
        if (!engine.mask[i]) continue;
        const keep = theta64[i]!;
        theta64[i] = keep + eps;
        const up = referenceLoss(theta64, x, labels);
        theta64[i] = keep - eps;
        const down = referenceLoss(theta64, x, labels);
        theta64[i] = keep;
        fd[i] = (up - down) / (2 * eps);
      }
      // BN moving statistics are not differentiated: zeros there.
      const infos = artifact().parameters;
      for (const p of infos.filter((q) => !q.trainable)) expect(Array.from(gradient.subarray(p.offset, p.offset + p.size)).every((g) => g === 0)).toBe(true);
      expect(relativeError(gradient, fd)).toBeLessThan(1e-5);
    } finally {
      await engine.dispose();
    }
  });

  it('gradients at θ after θ, over several chunks (θ as initializers) and one (θ fed), agree: each θ is the one asked for', async () => {
    const options = { parameters: 'trainable', batchNorm: 'moving', loss: 'sparse_categorical_crossentropy' } as const;
    const chunked = await createGradientEngine(artifact(), { ...options, batchSize: 2 });
    const whole = await createGradientEngine(artifact(), { ...options, batchSize: N });
    try {
      await chunked.setData(data);
      await whole.setData(data);
      const start = chunked.initialParameters();
      const step = values(start.length, 21, 0.05);
      for (const k of [0, 1, 2, 1]) {
        const theta = start.map((t, i) => t + k * step[i]!);
        const [a, b] = [await chunked.lossAndGradient(theta), await whole.lossAndGradient(theta)];
        expect(Math.abs(a.loss - b.loss)).toBeLessThan(1e-6 * Math.abs(b.loss));
        expect(relativeError(a.gradient, b.gradient)).toBeLessThan(1e-5);
      }
    } finally {
      await chunked.dispose();
      await whole.dispose();
    }
  });

  it('exact Hessian-vector products: dense Hessian symmetric, equal to the float64 reference, same eigenvalues', async () => {
    const engine = await createGradientEngine(artifact(), { parameters: 'weights', batchNorm: 'moving', loss: 'sparse_categorical_crossentropy', threads: 2 });
    try {
      await engine.setData(data);
      const theta = engine.initialParameters();
      const theta64 = Float64Array.from(theta);
      const indices = [...engine.mask.keys()].filter((i) => engine.mask[i]);
      expect(indices.length).toBe(2 * 9 + 2 * 2 * 9 + CLASSES * C);
      const m = indices.length;
      const exact: number[][] = [];
      for (const j of indices) {
        const e = new Float32Array(theta.length);
        e[j] = 1;
        const column = await engine.hessianVectorProduct(theta, e);
        exact.push(indices.map((i) => column[i]!));
      }
      // Reference: mixed second differences of the float64 loss (steps far below the kink margins).
      const h = 1e-4;
      const reference: number[][] = Array.from({ length: m }, () => new Array<number>(m).fill(0));
      const at = (a: number, da: number, b: number, db: number) => {
        const moved = theta64.slice();
        moved[a] = moved[a]! + da;
        moved[b] = moved[b]! + db;
        return referenceLoss(moved, x, labels);
      };
      for (let r = 0; r < m; r++) {
        for (let c = r; c < m; c++) {
          const a = indices[r]!;
          const b = indices[c]!;
          const value = (at(a, h, b, h) - at(a, h, b, -h) - at(a, -h, b, h) + at(a, -h, b, -h)) / (4 * h * h);
          reference[r]![c] = value;
          reference[c]![r] = value;
        }
      }
      let asymmetry = 0;
      let scale = 0;
      for (let r = 0; r < m; r++) {
        for (let c = 0; c < m; c++) {
          asymmetry = Math.max(asymmetry, Math.abs(exact[r]![c]! - exact[c]![r]!));
          scale = Math.max(scale, Math.abs(exact[r]![c]!));
        }
      }
      expect(asymmetry / scale).toBeLessThan(1e-5);
      expect(relativeError(exact.flat(), reference.flat())).toBeLessThan(1e-4);
      const symmetrized = exact.map((row, r) => row.map((v, c) => (v + exact[c]![r]!) / 2));
      const ours = symmetricEigen(symmetrized).values;
      const theirs = symmetricEigen(reference).values;
      const largest = Math.max(...theirs.map(Math.abs));
      // A conv net with a residual path is not convex here: both ends of the spectrum matter.
      expect(theirs[0]!).toBeLessThan(0);
      for (let k = 0; k < m; k++) expect(Math.abs(ours[k]! - theirs[k]!)).toBeLessThan(1e-4 * largest);
    } finally {
      await engine.dispose();
    }
  });

  it('H·v from primal values kept per θ and chunk equals the whole graph, as θ, v and the data change', async () => {
    // batchSize 2 over 5 samples: three chunks, the last of 1 row (a product graph of its own).
    const options = { parameters: 'weights', batchNorm: 'moving', loss: 'sparse_categorical_crossentropy', batchSize: 2 } as const;
    const kept = await createGradientEngine(artifact(), options);
    const whole = await createGradientEngine(artifact(), { ...options, primalCacheBytes: 0 });
    try {
      const other = { ...data, x: Float32Array.from(values(N * S * S, 9, 1.5)) };
      const theta = kept.initialParameters();
      const moved = theta.map((t, i) => t + 0.05 * Math.sin(i));
      const v1 = Float32Array.from(values(theta.length, 21, 1));
      const v2 = Float32Array.from(values(theta.length, 22, 1));
      const steps: [Float32Array, Float32Array, typeof data | null][] = [
        [theta, v1, data],
        [theta, v2, null],
        [moved, v1, null],
        [theta, v2, null],
        [theta, v1, other],
      ];
      for (const [k, [at, v, set]] of steps.entries()) {
        if (set) await Promise.all([kept.setData(set), whole.setData(set)]);
        const expected = await whole.hessianVectorProduct(at, v);
        const got = await kept.hessianVectorProduct(at, v);
        expect(relativeError(got, expected), `step ${k}`).toBeLessThan(1e-5);
      }
    } finally {
      await Promise.all([kept.dispose(), whole.dispose()]);
    }
  });
});
