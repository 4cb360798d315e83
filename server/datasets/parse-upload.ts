import { unzipSync } from 'fflate';
import { isTestSample, type DatasetArrays, type DatasetSplitArrays } from '../../contract/dataset-codec.ts';
import type { DatasetTask } from '../../contract/datasets.ts';
import { ContractError } from '../../contract/errors.ts';

/**
 * Reading an uploaded dataset into the canonical DatasetArrays. Accepted forms:
 * - one .npz with arrays x, y (optionally x_test, y_test), as np.savez / np.savez_compressed write it;
 * - x.npy + y.npy (+ x_test.npy, y_test.npy);
 * - one .json {"x": nested arrays, "y": [...], "x_test"?, "y_test"?}.
 * x is float32/float64 [n, ...inputShape] (stored as float32). Integer y means classification
 * (classes = max label + 1), float y regression (targetSize = trailing size); fields.task overrides.
 * Without test arrays, sample i goes to test when i % 5 === 4. Every error is a ContractError
 * naming the file (or archive member, or form field) at fault.
 */
export const UPLOAD_LIMITS = {
  /** The arrays as stored (float32/int32: 4 bytes per element), over all arrays. */
  maxDecodedBytes: 200 * 1024 * 1024,
  /** Samples over train and test together. */
  maxSamples: 1_000_000,
  /** Labels beyond this are almost certainly regression targets sent as integers. */
  maxClasses: 100_000,
};

type ArrayName = 'x' | 'y' | 'x_test' | 'y_test';
const ARRAY_NAMES: readonly ArrayName[] = ['x', 'y', 'x_test', 'y_test'];

type NumericData = Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array;

/** One decoded array, before it is checked against the others. */
export interface UploadedArray {
  /** Where it came from, for error messages: 'x.npy', 'data.npz/x.npy', 'data.json:x'. */
  source: string;
  /** The .npy descr (e.g. '<f4'), or 'json' for JSON numbers. */
  dtype: string;
  shape: number[];
  kind: 'float' | 'int';
  values: NumericData;
}

function fileBaseName(name: string): string {
  return name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
}

const sizeOf = (shape: number[]) => shape.reduce((n, d) => n * d, 1);

// ---------------------------------------------------------------- .npy

/** Room for a .npy header (NumPy pads it to a multiple of 64 bytes; version 2+ allows up to 4 GB, real ones are short). */
const NPY_HEADER_MAX_BYTES = 64 * 1024;

const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const NPY_TYPES: Record<string, { bytes: number; kind: 'float' | 'int'; read: (b: ArrayBuffer) => NumericData }> = {
  f4: { bytes: 4, kind: 'float', read: (b) => new Float32Array(b) },
  f8: { bytes: 8, kind: 'float', read: (b) => new Float64Array(b) },
  i1: { bytes: 1, kind: 'int', read: (b) => new Int8Array(b) },
  u1: { bytes: 1, kind: 'int', read: (b) => new Uint8Array(b) },
  b1: { bytes: 1, kind: 'int', read: (b) => new Uint8Array(b) },
  i2: { bytes: 2, kind: 'int', read: (b) => new Int16Array(b) },
  u2: { bytes: 2, kind: 'int', read: (b) => new Uint16Array(b) },
  i4: { bytes: 4, kind: 'int', read: (b) => new Int32Array(b) },
  u4: { bytes: 4, kind: 'int', read: (b) => new Uint32Array(b) },
  i8: { bytes: 8, kind: 'int', read: (b) => Float64Array.from(new BigInt64Array(b), Number) },
  u8: { bytes: 8, kind: 'int', read: (b) => Float64Array.from(new BigUint64Array(b), Number) },
};

/** The .npy format (NumPy NEP 1), versions 1–3, for little-endian C-order numeric arrays. */
export function parseNpy(bytes: Uint8Array, source: string): UploadedArray {
  if (bytes.length < 10 || NPY_MAGIC.some((b, i) => bytes[i] !== b)) throw new ContractError(source, 'is not a .npy file (bad magic)');
  const major = bytes[6]!;
  if (major < 1 || major > 3) throw new ContractError(source, `unsupported .npy version ${major}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerStart = major === 1 ? 10 : 12;
  if (bytes.length < headerStart) throw new ContractError(source, 'truncated .npy header');
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = headerStart + headerLength;
  if (dataStart > bytes.length) throw new ContractError(source, 'truncated .npy header');
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, dataStart));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new ContractError(source, `unreadable .npy header ${JSON.stringify(header.trim().slice(0, 120))} (structured dtypes are not supported)`);
  }
  if (fortran === 'True') throw new ContractError(source, 'is stored in Fortran order; save it in C order (np.ascontiguousarray)');
  const order = descr[0]!;
  const type = NPY_TYPES[descr.slice(1)];
  if (!type) throw new ContractError(source, `dtype ${descr} is not supported (use float32, float64 or an integer type)`);
  if (order === '>' && type.bytes > 1) throw new ContractError(source, `dtype ${descr} is big-endian; save it little-endian (arr.astype('<${descr.slice(1)}'))`);
  if (order !== '<' && order !== '|') throw new ContractError(source, `dtype ${descr} has byte order "${order}"; expected little-endian "<"`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new ContractError(source, `bad shape (${shapeText})`);
  const dataBytes = sizeOf(shape) * type.bytes;
  if (sizeOf(shape) * 4 > UPLOAD_LIMITS.maxDecodedBytes) throw new ContractError(source, `holds more than ${UPLOAD_LIMITS.maxDecodedBytes / 2 ** 20} MB of data`);
  if (bytes.length - dataStart !== dataBytes) {
    throw new ContractError(source, `shape (${shape.join(', ')}) of ${descr} needs ${dataBytes} data bytes, the file has ${bytes.length - dataStart} (truncated or corrupt)`);
  }
  const values = type.read(bytes.slice(dataStart, dataStart + dataBytes).buffer);
  if (type.kind === 'int' && type.bytes === 8 && values.some((v) => !Number.isSafeInteger(v))) {
    throw new ContractError(source, 'holds 64-bit integers beyond 2^53');
  }
  return { source, dtype: descr, shape, kind: type.kind, values };
}

// ---------------------------------------------------------------- .npz

/**
 * An .npz's members. The central directory's declared sizes are checked before anything is
 * inflated, so a zip bomb is refused rather than expanded: one member may hold at most the decoded
 * limit (its .npy header aside), all of them twice that (float64 members are halved when stored).
 */
export function unzipNpz(bytes: Uint8Array, archive: string, unreadable = 'is not a readable .npz (zip) archive'): Record<string, Uint8Array> {
  try {
    let declared = 0;
    return unzipSync(bytes, {
      filter: (file) => {
        if (file.originalSize > UPLOAD_LIMITS.maxDecodedBytes + NPY_HEADER_MAX_BYTES) {
          throw new ContractError(
            `${archive}/${file.name}`,
            `declares ${(file.originalSize / 2 ** 20).toFixed(0)} MB uncompressed; an array may hold at most ${UPLOAD_LIMITS.maxDecodedBytes / 2 ** 20} MB (send float32)`,
          );
        }
        declared += file.originalSize;
        if (declared > 2 * UPLOAD_LIMITS.maxDecodedBytes + 1024 * 1024) {
          throw new ContractError(archive, `decompresses to more than ${(2 * UPLOAD_LIMITS.maxDecodedBytes) / 2 ** 20} MB`);
        }
        return true;
      },
    });
  } catch (error) {
    if (error instanceof ContractError) throw error;
    throw new ContractError(archive, `${unreadable}: ${(error as Error).message}`);
  }
}

function parseNpz(bytes: Uint8Array, archive: string): Partial<Record<ArrayName, UploadedArray>> {
  const members = unzipNpz(bytes, archive);
  const arrays: Partial<Record<ArrayName, UploadedArray>> = {};
  for (const [member, content] of Object.entries(members)) {
    if (member.endsWith('/')) continue;
    const name = member.replace(/\.npy$/, '') as ArrayName;
    if (!ARRAY_NAMES.includes(name)) {
      throw new ContractError(`${archive}/${member}`, `unknown array; an .npz holds only ${ARRAY_NAMES.join(', ')}`);
    }
    arrays[name] = parseNpy(content, `${archive}/${member}`);
  }
  return arrays;
}

// ---------------------------------------------------------------- .json

/** Deepest nesting of a JSON array (the sample axis and up to 7 axes per sample): bounds `walk`'s recursion. */
const MAX_JSON_RANK = 8;

function parseNested(value: unknown, source: string): UploadedArray {
  const shape: number[] = [];
  for (let level: unknown = value; Array.isArray(level); level = level[0]) {
    shape.push(level.length);
    if (shape.length > MAX_JSON_RANK) throw new ContractError(source, `nests arrays more than ${MAX_JSON_RANK} deep (samples have at most ${MAX_JSON_RANK - 1} axes)`);
  }
  if (shape.length === 0) throw new ContractError(source, 'must be an array');
  const count = sizeOf(shape);
  if (count * 4 > UPLOAD_LIMITS.maxDecodedBytes) throw new ContractError(source, `holds more than ${UPLOAD_LIMITS.maxDecodedBytes / 2 ** 20} MB of numbers`);
  const values = new Float64Array(count);
  let filled = 0;
  let integers = true;
  const walk = (node: unknown, depth: number, path: string) => {
    if (depth === shape.length) {
      if (typeof node !== 'number') throw new ContractError(source, `${path} is ${JSON.stringify(node)?.slice(0, 20)}, not a number`);
      if (!Number.isInteger(node)) integers = false;
      values[filled++] = node;
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[depth]) {
      throw new ContractError(source, `${path} should be an array of ${shape[depth]} (nested arrays must be rectangular, shape [${shape.join(', ')}])`);
    }
    node.forEach((child, i) => walk(child, depth + 1, `${path}[${i}]`));
  };
  walk(value, 0, source.slice(source.indexOf(':') + 1));
  return { source, dtype: 'json', shape, kind: integers ? 'int' : 'float', values };
}

function parseJson(bytes: Uint8Array, file: string): Partial<Record<ArrayName, UploadedArray>> {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw new ContractError(file, `is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ContractError(file, 'must be an object {"x": [...], "y": [...]}');
  const arrays: Partial<Record<ArrayName, UploadedArray>> = {};
  for (const [key, value] of Object.entries(json)) {
    if (!ARRAY_NAMES.includes(key as ArrayName)) throw new ContractError(`${file}:${key}`, `unknown key; expected ${ARRAY_NAMES.join(', ')}`);
    arrays[key as ArrayName] = parseNested(value, `${file}:${key}`);
  }
  return arrays;
}

// ---------------------------------------------------------------- assembling

function readFiles(files: { name: string; bytes: Uint8Array }[]): Partial<Record<ArrayName, UploadedArray>> {
  if (files.length === 0) throw new ContractError('files', 'no dataset file uploaded (send one .npz, one .json, or x.npy + y.npy)');
  const names = files.map((f) => fileBaseName(f.name));
  const single = names.find((n) => n.endsWith('.npz') || n.endsWith('.json'));
  if (single !== undefined) {
    if (files.length > 1) throw new ContractError(single, `must be the only file; also got ${names.filter((n) => n !== single).join(', ')}`);
    return single.endsWith('.npz') ? parseNpz(files[0]!.bytes, single) : parseJson(files[0]!.bytes, single);
  }
  const arrays: Partial<Record<ArrayName, UploadedArray>> = {};
  files.forEach((file, k) => {
    const name = names[k]!;
    const arrayName = name.replace(/\.npy$/, '') as ArrayName;
    if (!name.endsWith('.npy') || !ARRAY_NAMES.includes(arrayName)) {
      throw new ContractError(name, 'unknown file; expected one .npz, one .json, or x.npy, y.npy (+ x_test.npy, y_test.npy)');
    }
    if (arrays[arrayName]) throw new ContractError(name, 'uploaded twice');
    arrays[arrayName] = parseNpy(file.bytes, name);
  });
  return arrays;
}

function resolveTask(field: string | undefined, y: UploadedArray): DatasetTask {
  if (field === undefined || field === '') return y.kind === 'int' ? 'classification' : 'regression';
  if (field !== 'classification' && field !== 'regression') throw new ContractError('task', `"${field}" is neither classification nor regression`);
  return field;
}

function checkFinite(a: UploadedArray): void {
  const perSample = sizeOf(a.shape.slice(1));
  for (let i = 0; i < a.values.length; i++) {
    const v = a.values[i]!;
    if (!Number.isFinite(v)) throw new ContractError(a.source, `sample ${Math.floor(i / perSample)} holds ${v} (element ${i}); values must be finite`);
  }
}

interface SplitSources { x: UploadedArray; y: UploadedArray }

function assemble(splits: SplitSources[], task: DatasetTask): Omit<DatasetArrays, 'train' | 'test'> & { splits: DatasetSplitArrays[] } {
  const [first] = splits;
  const inputShape = first!.x.shape.length === 1 ? [1] : first!.x.shape.slice(1);
  for (const { x, y } of splits) {
    if (x.kind !== 'float' && x.dtype !== 'json') throw new ContractError(x.source, `dtype ${x.dtype} is not float32 or float64 (convert x with astype('float32'))`);
    const n = x.shape[0]!;
    if (n === 0) throw new ContractError(x.source, 'holds no samples');
    const shape = x.shape.length === 1 ? [1] : x.shape.slice(1);
    if (!shape.every((d) => d >= 1)) throw new ContractError(x.source, `sample shape (${shape.join(', ')}) has an empty axis`);
    if (shape.join() !== inputShape.join()) {
      throw new ContractError(x.source, `sample shape (${shape.join(', ')}) differs from ${first!.x.source}'s (${inputShape.join(', ')})`);
    }
    if (y.shape[0] !== n) throw new ContractError(y.source, `has ${y.shape[0]} samples but ${x.source} has ${n}`);
    checkFinite(x);
    checkFinite(y);
  }
  let classes: number | null = null;
  let targetSize: number | null = null;
  if (task === 'classification') {
    let maxLabel = -1;
    for (const { y } of splits) {
      if (y.shape.length > 2 || (y.shape.length === 2 && y.shape[1] !== 1)) {
        throw new ContractError(y.source, `shape (${y.shape.join(', ')}) is not one label per sample; classification needs integer labels of shape (n,)`);
      }
      y.values.forEach((label, i) => {
        if (!Number.isInteger(label) || label < 0) throw new ContractError(y.source, `label ${label} of sample ${i} is not a non-negative integer`);
        maxLabel = Math.max(maxLabel, label);
      });
    }
    classes = maxLabel + 1;
    if (classes < 2) throw new ContractError(splits[0]!.y.source, 'every label is 0; classification needs at least 2 classes');
    if (classes > UPLOAD_LIMITS.maxClasses) {
      throw new ContractError(splits[0]!.y.source, `label ${maxLabel} means more than ${UPLOAD_LIMITS.maxClasses} classes; send task=regression for numeric targets`);
    }
  } else {
    targetSize = sizeOf(first!.y.shape.slice(1));
    for (const { y } of splits) {
      if (sizeOf(y.shape.slice(1)) !== targetSize) throw new ContractError(y.source, `has ${sizeOf(y.shape.slice(1))} targets per sample, ${first!.y.source} has ${targetSize}`);
      if (targetSize < 1) throw new ContractError(y.source, 'has an empty target axis');
    }
  }
  const converted = splits.map(({ x, y }) => ({
    x: x.values instanceof Float32Array ? x.values : Float32Array.from(x.values),
    y: task === 'classification' ? Int32Array.from(y.values) : Float32Array.from(y.values),
    n: x.shape[0]!,
  }));
  return { task, inputShape, classes, targetSize, splits: converted };
}

/** Test = every 5th sample (i % 5 === 4), train = the rest, keeping the order. */
function holdOut(all: DatasetSplitArrays, features: number, targets: number): { train: DatasetSplitArrays; test: DatasetSplitArrays } {
  const testN = Math.floor(all.n / 5);
  const make = (n: number): DatasetSplitArrays => ({
    x: new Float32Array(n * features),
    y: all.y instanceof Int32Array ? new Int32Array(n * targets) : new Float32Array(n * targets),
    n,
  });
  const train = make(all.n - testN);
  const test = make(testN);
  const filled = [0, 0];
  for (let i = 0; i < all.n; i++) {
    const side = isTestSample(i) ? 1 : 0;
    const target = side === 1 ? test : train;
    const row = filled[side]!++;
    target.x.set(all.x.subarray(i * features, (i + 1) * features), row * features);
    target.y.set(all.y.subarray(i * targets, (i + 1) * targets), row * targets);
  }
  return { train, test };
}

export function parseDatasetUpload(files: { name: string; bytes: Uint8Array }[], fields: Record<string, string>): DatasetArrays {
  const arrays = readFiles(files);
  const origin = files.length === 1 ? fileBaseName(files[0]!.name) : 'files';
  if (!arrays.x) throw new ContractError(origin, 'x is missing');
  if (!arrays.y) throw new ContractError(origin, 'y is missing');
  if (Boolean(arrays.x_test) !== Boolean(arrays.y_test)) {
    throw new ContractError(origin, `${arrays.x_test ? 'y_test' : 'x_test'} is missing (send x_test and y_test together, or neither)`);
  }
  const splits: SplitSources[] = [{ x: arrays.x, y: arrays.y }];
  if (arrays.x_test && arrays.y_test) splits.push({ x: arrays.x_test, y: arrays.y_test });
  const samples = splits.reduce((n, s) => n + (s.x.shape[0] ?? 0), 0);
  if (samples > UPLOAD_LIMITS.maxSamples) throw new ContractError(origin, `${samples} samples exceed the limit of ${UPLOAD_LIMITS.maxSamples}`);
  const decodedBytes = splits.reduce((n, s) => n + 4 * (s.x.values.length + s.y.values.length), 0);
  if (decodedBytes > UPLOAD_LIMITS.maxDecodedBytes) {
    throw new ContractError(origin, `arrays hold ${(decodedBytes / 2 ** 20).toFixed(0)} MB; the limit is ${UPLOAD_LIMITS.maxDecodedBytes / 2 ** 20} MB`);
  }
  const task = resolveTask(fields.task, arrays.y);
  const { splits: converted, ...facts } = assemble(splits, task);
  const features = sizeOf(facts.inputShape);
  const targets = task === 'classification' ? 1 : facts.targetSize!;
  const { train, test } = converted.length === 2 ? { train: converted[0]!, test: converted[1]! } : holdOut(converted[0]!, features, targets);
  return { ...facts, train, test };
}
