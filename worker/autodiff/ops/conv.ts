import { intAttribute, intsAttribute, stringAttribute, type Graph, type Node } from '../graph.ts';
import { RuleLimitation, type OpRules } from '../rules.ts';
import { addOrNull, reduceSumKeep, reshape } from './support.ts';

/**
 * Conv (any spatial rank, groups, strides, dilations, explicit or auto pads). Input gradient: a
 * stride-1 Conv of the zero-inserted dy with the flipped kernel (convInputGradient), or for
 * strided 2-D group-1 convolutions one Conv per output phase, interleaved (convInputGradientByPhases). Weight
 * gradient, by geometry (weightGradientRule): row and column shifts and one batched MatMul for 2-D
 * stride-1 kernels, im2col patches and one batched MatMul for the other group-1 convolutions (the
 * shifts and patches by one-hot grouped Convs, tapStack), a Conv over the batch as channels for
 * grouped ones. Bias gradient: a sum over batch and space.
 */

export interface ConvGeometry {
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** [begin..., end...] */
  pads: number[];
  group: number;
}

export function convGeometry(node: Node, xShape: number[], wShape: number[]): ConvGeometry {
  const spatial = xShape.length - 2;
  const kernel = intsAttribute(node, 'kernel_shape', wShape.slice(2));
  const strides = intsAttribute(node, 'strides', new Array(spatial).fill(1));
  const dilations = intsAttribute(node, 'dilations', new Array(spatial).fill(1));
  const group = intAttribute(node, 'group', 1);
  const autoPad = stringAttribute(node, 'auto_pad', 'NOTSET');
  let pads = intsAttribute(node, 'pads', new Array(2 * spatial).fill(0));
  if (autoPad === 'VALID') pads = new Array(2 * spatial).fill(0);
  else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    pads = new Array(2 * spatial).fill(0);
    for (let i = 0; i < spatial; i++) {
      const size = xShape[i + 2]!;
      const out = Math.ceil(size / strides[i]!);
      const total = Math.max((out - 1) * strides[i]! + (kernel[i]! - 1) * dilations[i]! + 1 - size, 0);
      const small = Math.floor(total / 2);
      pads[i] = autoPad === 'SAME_UPPER' ? small : total - small;
      pads[i + spatial] = total - pads[i]!;
    }
  }
  return { kernel, strides, dilations, pads, group };
}

/** Output sizes of a convolution over spatial `sizes` with `kernel` (ONNX Conv's floor rule). */
function convOutputSizes(sizes: number[], kernel: number[], geo: Pick<ConvGeometry, 'strides' | 'dilations' | 'pads'>): number[] {
  const spatial = sizes.length;
  return sizes.map((size, i) => Math.floor((size + geo.pads[i]! + geo.pads[i + spatial]! - ((kernel[i]! - 1) * geo.dilations[i]! + 1)) / geo.strides[i]!) + 1);
}

function convAttributes(geo: ConvGeometry): Record<string, number[] | number> {
  return { kernel_shape: geo.kernel, strides: geo.strides, dilations: geo.dilations, pads: geo.pads, group: geo.group };
}

/**
 * ∂L/∂x of y = conv(x, W): dy with stride − 1 zeros inserted between its entries, padded by
 * k_eff − 1 − pad (k_eff = (k − 1)·dilation + 1; output_padding more at the end), correlated at
 * stride 1 with W flipped in space and transposed per group ([O, C/G, k…] → [C, O/G, k…]).
 * Written as a Conv rather than ConvTranspose because onnxruntime's Conv runs several times
 * faster (ConvTranspose's col2im is a serial loop), and because with θ as initializers the flipped
 * W folds into a constant, so these convolutions take the same prepacked NCHWc path as the
 * forward pass. ConvTranspose remains for geometries whose padding exceeds k_eff − 1.
 */
export function convInputGradient(g: Graph, dy: string, w: string, xShape: number[], geo: ConvGeometry): string {
  const yShape = g.shape(dy);
  const spatial = xShape.length - 2;
  const outputPadding = xShape.slice(2).map((size, i) => {
    const produced = geo.strides[i]! * (yShape[i + 2]! - 1) + (geo.kernel[i]! - 1) * geo.dilations[i]! + 1 - geo.pads[i]! - geo.pads[i + spatial]!;
    return size - produced;
  });
  if (outputPadding.some((p) => p < 0)) throw new RuleLimitation('has a geometry whose input size cannot be restored by ConvTranspose');
  const kEff = geo.kernel.map((k, i) => (k - 1) * geo.dilations[i]! + 1);
  const begin = kEff.map((k, i) => k - 1 - geo.pads[i]!);
  // Zero insertion leaves stride − 1 trailing zeros per axis, which count as end padding.
  const end = kEff.map((k, i) => k - 1 - geo.pads[i + spatial]! + outputPadding[i]! - (geo.strides[i]! - 1));
  if ([...begin, ...end].some((p) => p < 0)) {
    return g.emit('ConvTranspose', [dy, w], { ...convAttributes(geo), output_padding: outputPadding }, xShape);
  }
  const phased = convInputGradientByPhases(g, dy, w, xShape, geo);
  if (phased) return phased;
  const spread = insertZeros(g, dy, geo.strides);
  const [o, cg, ...k] = g.shape(w) as [number, number, ...number[]];
  const G = geo.group;
  const c = cg * G;
  const perGroup = reshape(g, w, [G, o / G, cg, ...k]);
  const swapped = g.emit('Transpose', [perGroup], { perm: [0, 2, 1, ...k.map((_, i) => i + 3)] }, [G, cg, o / G, ...k]);
  const transposed = reshape(g, swapped, [c, o / G, ...k]);
  const spatialAxes = k.map((_, i) => i + 2);
  // Steps of −1 from the last tap; an end of −(k + 1) clamps to "before the first tap".
  const flipped = g.emit('Slice', [transposed, g.ints(k.map((d) => d - 1)), g.ints(k.map((d) => -d - 1)), g.ints(spatialAxes), g.ints(k.map(() => -1))], {}, [c, o / G, ...k]);
  return g.emit('Conv', [spread, flipped], { kernel_shape: k, strides: k.map(() => 1), dilations: geo.dilations, pads: [...begin, ...end], group: G }, xShape);
}

/** Where along one axis each output phase of a strided convolution's input gradient reads dy. */
interface AxisPhases {
  /** taps[r][l]: the kernel tap that phase r weighs dy[q + first + l] with, or −1. */
  taps: number[][];
  /** dy offset of the phase kernels' first tap (≤ 0). */
  first: number;
  /** Length of the common phase kernel. */
  length: number;
}

/**
 * Input positions m = s·q + r of phase r read dy[i] through tap u = m + pad − s·i, so the taps of
 * phase r are u ≡ (r + pad) mod s, at dy offsets i − q = ⌊(r + pad)/s⌋ − t for u = ph + s·t. Null
 * when some phase reads ahead of dy's first entry at q = 0 (first > 0; no standard padding does).
 */
function axisPhases(kernel: number, stride: number, pad: number): AxisPhases | null {
  const reads: { r: number; offset: number; tap: number }[] = [];
  for (let r = 0; r < stride; r++) {
    const phase = (r + pad) % stride;
    const lead = Math.floor((r + pad) / stride);
    for (let t = 0; phase + stride * t < kernel; t++) reads.push({ r, offset: lead - t, tap: phase + stride * t });
  }
  const first = Math.min(...reads.map((x) => x.offset));
  if (first > 0) return null;
  const length = Math.max(...reads.map((x) => x.offset)) - first + 1;
  const taps = Array.from({ length: stride }, () => new Array<number>(length).fill(-1));
  for (const x of reads) taps[x.r]![x.offset - first] = x.tap;
  return { taps, first, length };
}

/**
 * ∂L/∂x of a strided 2-D convolution (group 1, dilation 1, equal strides s) without zero insertion:
 * output phase (r_h, r_w) of x is a stride-1 correlation of dy with the taps of W that reach it,
 * so one Conv with the s² phase kernels stacked as output channels, then DepthToSpace (DCR), gives
 * dx. It multiplies no zeros of a spread dy (ResNet's 3×3 stride-2 convs: 16 kernel slots where
 * the zero-inserted Conv computes 36) and needs no 6-D Pad, which onnxruntime runs element by
 * element. The phase kernels are a Gather of W's taps (with an appended zero tap), folded into a
 * constant when W is an initializer. Null for the geometries it does not cover.
 */
function convInputGradientByPhases(g: Graph, dy: string, w: string, xShape: number[], geo: ConvGeometry): string | null {
  const stride = geo.strides[0]!;
  if (xShape.length !== 4 || geo.group !== 1 || stride < 2 || geo.strides[1] !== stride || geo.dilations.some((d) => d !== 1)) return null;
  const [o, c, kh, kw] = g.shape(w) as [number, number, number, number];
  const rows = axisPhases(kh, stride, geo.pads[0]!);
  const columns = axisPhases(kw, stride, geo.pads[1]!);
  if (!rows || !columns) return null;
  const [n, , th, tw] = g.shape(dy) as [number, number, number, number];
  const [, , h, wd] = xShape as [number, number, number, number];
  // Phase outputs q ∈ [0, ⌈size/s⌉) read dy up to q + first + length − 1: pad the end to reach it.
  const endPad = (size: number, t: number, p: AxisPhases) => Math.max(0, Math.ceil(size / stride) + p.first + p.length - 1 - t);
  const padEnd = [endPad(h, th, rows), endPad(wd, tw, columns)] as const;
  const out = [th - rows.first + padEnd[0] - rows.length + 1, tw - columns.first + padEnd[1] - columns.length + 1] as const;
  const zeroTap = kh * kw;
  const indices: number[] = [];
  for (const rowTaps of rows.taps)
    for (const columnTaps of columns.taps)
      for (const i of rowTaps) for (const j of columnTaps) indices.push(i < 0 || j < 0 ? zeroTap : i * kw + j);
  const flat = g.emit('Pad', [reshape(g, w, [o, c, zeroTap]), g.ints([0, 0, 0, 0, 0, 1])], { mode: 'constant' }, [o, c, zeroTap + 1]);
  const gathered = g.emit('Gather', [flat, g.ints(indices)], { axis: 2 }, [o, c, indices.length]);
  const phases = reshape(g, gathered, [o, c, stride, stride, rows.length, columns.length]);
  const stacked = g.emit('Transpose', [phases], { perm: [2, 3, 1, 0, 4, 5] }, [stride, stride, c, o, rows.length, columns.length]);
  const kernels = reshape(g, stacked, [stride * stride * c, o, rows.length, columns.length]);
  const pads = [-rows.first, -columns.first, padEnd[0], padEnd[1]];
  const byPhase = g.emit('Conv', [dy, kernels], { kernel_shape: [rows.length, columns.length], pads }, [n, stride * stride * c, out[0], out[1]]);
  const full = [n, c, out[0] * stride, out[1] * stride];
  const dx = g.emit('DepthToSpace', [byPhase], { blocksize: stride, mode: 'DCR' }, full);
  if (full[2] === h && full[3] === wd) return dx;
  return g.emit('Slice', [dx, g.ints([0, 0]), g.ints([h, wd]), g.ints([2, 3])], {}, xShape);
}

/** `value` [N, C, t…] with stride − 1 zeros after each entry along each spatial axis: [N, C, t·stride…]. */
function insertZeros(g: Graph, value: string, strides: number[]): string {
  if (strides.every((s) => s === 1)) return value;
  const [n, c, ...t] = g.shape(value) as [number, number, ...number[]];
  const interleaved = [n, c, ...t.flatMap((d) => [d, 1])];
  const padded = [n, c, ...t.flatMap((d, i) => [d, strides[i]!])];
  const pads = [...interleaved.map(() => 0), 0, 0, ...t.flatMap((_, i) => [0, strides[i]! - 1])];
  const spaced = g.emit('Pad', [reshape(g, value, interleaved), g.ints(pads)], { mode: 'constant' }, padded);
  return reshape(g, spaced, [n, c, ...t.map((d, i) => d * strides[i]!)]);
}

/**
 * ∂L/∂W of y = conv(x, W) ([O, C/G, k...]): correlate x with dy, batch as channels. With
 * x → [C/G, G·N, s...] and dy → [G·O/G, N, t...] as a grouped Conv of stride = dilation and
 * dilation = stride, the output [C/G, O, k'...] (k' ≥ k) holds the kernel's taps at its first k.
 */
export function convWeightGradient(g: Graph, x: string, dy: string, wShape: number[], geo: ConvGeometry): string {
  const [n, c, ...s] = g.shape(x) as [number, number, ...number[]];
  const [, o, ...t] = g.shape(dy) as [number, number, ...number[]];
  const G = geo.group;
  const cg = c / G;
  const og = o / G;
  const spatial = s.length;
  const rest = (from: number) => Array.from({ length: spatial }, (_, i) => from + i);
  const xg = reshape(g, x, [n, G, cg, ...s]);
  const xt = g.emit('Transpose', [xg], { perm: [2, 1, 0, ...rest(3)] }, [cg, G, n, ...s]);
  const xb = reshape(g, xt, [cg, G * n, ...s]);
  const dg = reshape(g, dy, [n, G, og, ...t]);
  const dt = g.emit('Transpose', [dg], { perm: [1, 2, 0, ...rest(3)] }, [G, og, n, ...t]);
  const db = reshape(g, dt, [G * og, n, ...t]);
  // The output sizes of the Conv below, whose stride is the forward's dilation and vice versa.
  const full = convOutputSizes(s, t, { pads: geo.pads, strides: geo.dilations, dilations: geo.strides });
  const corr = g.emit('Conv', [xb, db], { kernel_shape: t, strides: geo.dilations, dilations: geo.strides, pads: geo.pads, group: G }, [cg, o, ...full]);
  const k = wShape.slice(2);
  let taps = corr;
  if (full.some((f, i) => f !== k[i])) {
    taps = g.emit('Slice', [corr, g.ints(new Array(spatial).fill(0)), g.ints(k), g.ints(rest(2))], {}, [cg, o, ...k]);
  }
  return g.emit('Transpose', [taps], { perm: [1, 0, ...rest(2)] }, wShape);
}

/**
 * The kernel taps a convolution reads, stacked as channels (im2col): out[n, c·taps + t, p…] =
 * x_padded[n, c, p·stride + offset(tapOf(t))…], one grouped Conv of x with one-hot kernels
 * (constants). onnxruntime runs it up to 2.8× faster than the Pad, per-tap Slices and Concat it
 * replaces, which are single copies each (0.94–2.8× on W1's layers, one and two threads; the
 * 32×32 layers gain most). Equal to them bit for bit for finite x (products by 1, sums of exact
 * zeros); an infinite entry of x also makes NaN in its neighbours' taps (0·∞), where the weight
 * gradient is not finite anyway. One tap without padding or stride is x itself.
 */
function tapStack(g: Graph, x: string, kernel: number[], geo: Pick<ConvGeometry, 'strides' | 'dilations' | 'pads'>, tapOf: (t: number) => number = (t) => t): string {
  const [n, c, ...s] = g.shape(x) as [number, number, ...number[]];
  const taps = kernel.reduce((a, b) => a * b, 1);
  if (taps === 1 && geo.pads.every((p) => p === 0) && geo.strides.every((stride) => stride === 1)) return x;
  const out = convOutputSizes(s, kernel, geo);
  const oneHot = new Float32Array(c * taps * taps);
  for (let channel = 0; channel < c; channel++) for (let t = 0; t < taps; t++) oneHot[(channel * taps + t) * taps + tapOf(t)] = 1;
  const kernels = g.constant({ dtype: 'float32', dims: [c * taps, 1, ...kernel], data: oneHot }, 'taps');
  return g.emit('Conv', [x, kernels], { kernel_shape: kernel, strides: geo.strides, dilations: geo.dilations, pads: geo.pads, group: c }, [n, c * taps, ...out]);
}

/**
 * ∂L/∂W for group = 1 as one batched GEMM over im2col: the kernel taps of the padded input
 * stacked to [N, C·taps, P] (tapStack), and dy [N, O, P] · colsᵀ → [N, O, C·taps], summed over
 * the batch, which is W's own layout [O, C, k…]. onnxruntime runs this several times faster than
 * the batch-as-channels Conv, whose k×k output makes a skinny GEMM, and than one GEMM per tap
 * (measured on ResNet-20's 16-channel 32×32 layers).
 */
export function convWeightGradientByPatches(g: Graph, x: string, dy: string, wShape: number[], geo: ConvGeometry): string {
  const [n, c] = g.shape(x) as [number, number];
  const [, o, ...t] = g.shape(dy) as [number, number, ...number[]];
  const k = wShape.slice(2);
  const taps = k.reduce((a, b) => a * b, 1);
  const positions = t.reduce((a, b) => a * b, 1);
  const columns = reshape(g, tapStack(g, x, k, geo), [n, c * taps, positions]);
  const columnsT = g.emit('Transpose', [columns], { perm: [0, 2, 1] }, [n, positions, c * taps]);
  const perSample = g.emit('MatMul', [reshape(g, dy, [n, o, positions]), columnsT], {}, [n, o, c * taps]);
  const summed = g.emit('ReduceSum', [perSample, g.ints([0])], { keepdims: 0 }, [o, c * taps]);
  return reshape(g, summed, wShape);
}

/**
 * ∂L/∂W for group = 1, 2-D, stride 1: the 3×3 taps split into row shifts of the padded input and
 * column shifts of dy. With J = t_h · w_p positions on the padded width (the k_w − 1 extra columns
 * meet zeros of dy), X = [x_p rows i·d_h …] stacked to [N, C·k_h, J] and DY = [dy shifted right by
 * j·d_w on the padded width …] stacked to [N, O·k_w, J], the batched product DY · Xᵀ holds
 * ∂L/∂W[o, c, i, j] at [o·k_w + j, c·k_h + i]. Its copies are k_h inputs and k_w dys instead of
 * k_h·k_w patches, for 6 % more multiply-adds (the padding columns); each stack is one tapStack.
 */
export function convWeightGradientByRows(g: Graph, x: string, dy: string, wShape: number[], geo: ConvGeometry): string {
  const [n, c] = g.shape(x) as [number, number];
  const [, o, th] = g.shape(dy) as [number, number, number];
  const [, , kh, kw] = wShape as [number, number, number, number];
  const [dh, dw] = geo.dilations as [number, number];
  const [top, left, bottom, right] = geo.pads as [number, number, number, number];
  const stride1 = { strides: [1, 1], dilations: [dh, dw] };
  // Rows i·d_h of x padded on all sides: [N, C·k_h, t_h, w_p].
  const rows = tapStack(g, x, [kh, 1], { ...stride1, pads: [top, left, bottom, right] });
  const wp = g.shape(rows)[3]!;
  // dy[…, m − j·d_w] at m ∈ [0, w_p) (zero outside): tap k_w − 1 − j of dy padded by (k_w − 1)·d_w on both sides.
  const reach = (kw - 1) * dw;
  const columns = tapStack(g, dy, [1, kw], { ...stride1, pads: [0, reach, 0, reach] }, (j) => kw - 1 - j);
  const positions = th * wp;
  const inputRowsT = g.emit('Transpose', [reshape(g, rows, [n, c * kh, positions])], { perm: [0, 2, 1] }, [n, positions, c * kh]);
  const perSample = g.emit('MatMul', [reshape(g, columns, [n, o * kw, positions]), inputRowsT], {}, [n, o * kw, c * kh]);
  const summed = g.emit('ReduceSum', [perSample, g.ints([0])], { keepdims: 0 }, [o * kw, c * kh]);
  return g.emit('Transpose', [reshape(g, summed, [o, kw, c, kh])], { perm: [0, 2, 3, 1] }, wShape);
}

/** The fastest weight-gradient construction that fits the geometry. */
function weightGradientRule(geo: ConvGeometry): typeof convWeightGradient {
  if (geo.group !== 1) return convWeightGradient;
  const taps = geo.kernel.reduce((a, b) => a * b, 1);
  if (geo.kernel.length === 2 && taps > 1 && geo.strides.every((s) => s === 1)) return convWeightGradientByRows;
  return convWeightGradientByPatches;
}

export const convRules: OpRules = {
  vjp({ g, node, dy, needs }) {
    const [x, w, b] = node.inputs as [string, string, string | undefined];
    const geo = convGeometry(node, g.shape(x), g.shape(w));
    const d = dy[0]!;
    const spatialAxes = g.shape(d).map((_, i) => i).filter((i) => i !== 1);
    return [
      needs[0] ? convInputGradient(g, d, w, g.shape(x), geo) : null,
      needs[1] ? weightGradientRule(geo)(g, x, d, g.shape(w), geo) : null,
      b && needs[2] ? reshape(g, reduceSumKeep(g, d, spatialAxes), g.shape(b)) : null,
    ];
  },
  jvp({ g, node, dx }) {
    const [x, w] = node.inputs as [string, string];
    const geo = convGeometry(node, g.shape(x), g.shape(w));
    const attributes = convAttributes(geo);
    const y = g.shape(node.outputs[0]!);
    const [tx, tw, tb] = dx;
    const fromInput = tx ? g.emit('Conv', [tx, w], attributes, y) : null;
    // The bias tangent rides along with the weight term when there is one.
    const fromWeight = tw ? g.emit('Conv', tb ? [x, tw, tb] : [x, tw], attributes, y) : null;
    let total = addOrNull(g, fromInput, fromWeight)!;
    if (tb && !tw) {
      const bias = reshape(g, tb, [y[1]!, ...y.slice(2).map(() => 1)]);
      total = total ? g.emit('Add', [total, bias], {}, y) : g.emit('Expand', [bias, g.ints(y)], {}, y);
    }
    return [total];
  },
};
