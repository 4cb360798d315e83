import { ContractError } from './errors.ts';
import type { DatasetTask } from './datasets.ts';

/**
 * The canonical stored form of a dataset (content-addressed like models, so its sha256 is the
 * dataset hash). Layout: "LADS" magic, u32 version, u32 header length, JSON header, zero padding
 * to 8 bytes, then the arrays train.x, train.y, test.x, test.y, each little-endian and starting
 * at a multiple of 8 bytes. x is float32 [n, ...inputShape]; y is int32 class labels [n]
 * (classification), int32 per-pixel class labels [n, h, w] for image samples [h, w, c]
 * (segmentation), or float32 targets [n, targetSize] (regression).
 */

export interface DatasetSplitArrays { x: Float32Array; y: Int32Array | Float32Array; n: number }
export interface DatasetArrays {
  task: DatasetTask;
  inputShape: number[];
  classes: number | null;
  targetSize: number | null;
  train: DatasetSplitArrays;
  test: DatasetSplitArrays;
}

/** Every 5th sample (i % 5 === 4) is a test sample: the split of MNIST and of uploads without test arrays. */
export function isTestSample(i: number): boolean {
  return i % 5 === 4;
}

const MAGIC = [0x4c, 0x41, 0x44, 0x53]; // "LADS"
const VERSION = 1;
const PREAMBLE_BYTES = 12;
const ALIGN = 8;
const FIELD = 'dataset';

interface ArrayEntry { offset: number; length: number }
interface Header {
  task: DatasetTask;
  inputShape: number[];
  classes: number | null;
  targetSize: number | null;
  train: { n: number; x: ArrayEntry; y: ArrayEntry };
  test: { n: number; x: ArrayEntry; y: ArrayEntry };
}

const alignUp = (n: number) => Math.ceil(n / ALIGN) * ALIGN;
const littleEndianHost = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function assertLittleEndianHost(): void {
  // Typed-array views use host byte order; every platform Node and browsers run on is little-endian.
  if (!littleEndianHost) throw new Error('dataset codec needs a little-endian host');
}

function featureSize(inputShape: number[]): number {
  return inputShape.reduce((n, d) => n * d, 1);
}

/** Values of y per sample: 1 label (classification), h·w labels (segmentation), targetSize floats (regression). */
export function targetValues(d: Pick<DatasetArrays, 'task' | 'targetSize' | 'inputShape'>): number {
  if (d.task === 'segmentation') return d.inputShape[0]! * d.inputShape[1]!;
  return d.task === 'classification' ? 1 : d.targetSize!;
}

/** Checks the facts every consumer relies on; throws ContractError naming what is wrong. */
function validate(d: DatasetArrays): void {
  if (d.task !== 'classification' && d.task !== 'regression' && d.task !== 'segmentation') throw new ContractError(FIELD, `unknown task ${String(d.task)}`);
  if (!Array.isArray(d.inputShape) || d.inputShape.length === 0 || !d.inputShape.every((s) => Number.isInteger(s) && s >= 1)) {
    throw new ContractError(FIELD, `inputShape ${JSON.stringify(d.inputShape)} must be a non-empty list of positive integers`);
  }
  const labelled = d.task !== 'regression';
  if (d.task === 'segmentation' && d.inputShape.length !== 3) {
    throw new ContractError(FIELD, `segmentation needs image samples [h, w, c], got inputShape ${JSON.stringify(d.inputShape)}`);
  }
  if (labelled) {
    if (!Number.isInteger(d.classes) || d.classes! < 2) throw new ContractError(FIELD, `${d.task} needs classes ≥ 2, got ${d.classes}`);
    if (d.targetSize !== null) throw new ContractError(FIELD, `${d.task} datasets have targetSize null`);
  } else {
    if (!Number.isInteger(d.targetSize) || d.targetSize! < 1) throw new ContractError(FIELD, `regression needs targetSize ≥ 1, got ${d.targetSize}`);
    if (d.classes !== null) throw new ContractError(FIELD, 'regression datasets have classes null');
  }
  const features = featureSize(d.inputShape);
  for (const name of ['train', 'test'] as const) {
    const split = d[name];
    if (!Number.isInteger(split.n) || split.n < 0) throw new ContractError(FIELD, `${name}.n ${split.n} is not a count`);
    if (!(split.x instanceof Float32Array) || split.x.length !== split.n * features) {
      throw new ContractError(FIELD, `${name}.x must be float32 with n·${features} = ${split.n * features} values`);
    }
    const wantY = labelled ? Int32Array : Float32Array;
    if (!(split.y instanceof wantY) || split.y.length !== split.n * targetValues(d)) {
      throw new ContractError(FIELD, `${name}.y must be ${wantY.name} with ${split.n * targetValues(d)} values`);
    }
    if (labelled) {
      for (let i = 0; i < split.y.length; i++) {
        const label = split.y[i]!;
        if (label < 0 || label >= d.classes!) throw new ContractError(FIELD, `${name}.y[${i}] = ${label} is not a class in [0, ${d.classes})`);
      }
    }
  }
}

export function encodeDataset(d: DatasetArrays): Uint8Array {
  assertLittleEndianHost();
  validate(d);
  const arrays = [d.train.x, d.train.y, d.test.x, d.test.y];
  // Offsets depend on the header length, which depends on the offsets' digits: fix the header
  // length first with placeholder offsets as long as any real one can be.
  const entries: ArrayEntry[] = arrays.map((a) => ({ offset: Number.MAX_SAFE_INTEGER, length: a.length }));
  const header = (): Header => ({
    task: d.task,
    inputShape: d.inputShape,
    classes: d.classes,
    targetSize: d.targetSize,
    train: { n: d.train.n, x: entries[0]!, y: entries[1]! },
    test: { n: d.test.n, x: entries[2]!, y: entries[3]! },
  });
  const headerLength = new TextEncoder().encode(JSON.stringify(header())).length;
  let cursor = alignUp(PREAMBLE_BYTES + headerLength);
  for (let k = 0; k < arrays.length; k++) {
    entries[k]!.offset = cursor;
    cursor = alignUp(cursor + arrays[k]!.byteLength);
  }
  const headerBytes = new TextEncoder().encode(JSON.stringify(header()).padEnd(headerLength, ' '));
  const out = new Uint8Array(cursor);
  out.set(MAGIC, 0);
  const view = new DataView(out.buffer);
  view.setUint32(4, VERSION, true);
  view.setUint32(8, headerBytes.length, true);
  out.set(headerBytes, PREAMBLE_BYTES);
  for (let k = 0; k < arrays.length; k++) {
    const a = arrays[k]!;
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), entries[k]!.offset);
  }
  return out;
}

function isEntry(v: unknown): v is ArrayEntry {
  const e = v as ArrayEntry;
  return typeof v === 'object' && v !== null && Number.isSafeInteger(e.offset) && e.offset >= 0 && Number.isSafeInteger(e.length) && e.length >= 0;
}

export function decodeDataset(bytes: Uint8Array): DatasetArrays {
  assertLittleEndianHost();
  if (bytes.length < PREAMBLE_BYTES || MAGIC.some((b, i) => bytes[i] !== b)) throw new ContractError(FIELD, 'not a Loss Atlas dataset (bad magic)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(4, true);
  if (version !== VERSION) throw new ContractError(FIELD, `unsupported dataset version ${version}`);
  const headerLength = view.getUint32(8, true);
  if (PREAMBLE_BYTES + headerLength > bytes.length) throw new ContractError(FIELD, 'truncated: header runs past the end');
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(PREAMBLE_BYTES, PREAMBLE_BYTES + headerLength))) as Header;
  } catch {
    throw new ContractError(FIELD, 'header is not valid JSON');
  }
  if (typeof header !== 'object' || header === null) throw new ContractError(FIELD, 'header is not an object');
  // Every array is 4-byte elements; a copy gives an aligned buffer of our own, whatever the caller does with `bytes` later.
  const read = (name: string, entry: unknown): ArrayBuffer => {
    if (!isEntry(entry)) throw new ContractError(FIELD, `header entry ${name} is malformed`);
    const end = entry.offset + entry.length * 4;
    if (entry.offset % ALIGN !== 0 || entry.offset < PREAMBLE_BYTES + headerLength) throw new ContractError(FIELD, `${name} has a bad offset`);
    if (end > bytes.length) throw new ContractError(FIELD, `truncated: ${name} runs past the end`);
    return bytes.slice(entry.offset, end).buffer;
  };
  const splits = [header.train, header.test];
  if (!splits.every((s) => typeof s === 'object' && s !== null)) throw new ContractError(FIELD, 'header lacks train/test');
  const labels = (buffer: ArrayBuffer) => (header.task === 'regression' ? new Float32Array(buffer) : new Int32Array(buffer));
  const decoded: DatasetArrays = {
    task: header.task,
    inputShape: header.inputShape,
    classes: header.classes,
    targetSize: header.targetSize,
    train: { n: header.train.n, x: new Float32Array(read('train.x', header.train.x)), y: labels(read('train.y', header.train.y)) },
    test: { n: header.test.n, x: new Float32Array(read('test.x', header.test.x)), y: labels(read('test.y', header.test.y)) },
  };
  validate(decoded);
  return decoded;
}
