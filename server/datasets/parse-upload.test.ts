import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { decodeDataset, encodeDataset } from '../../contract/dataset-codec.ts';
import { ContractError } from '../../contract/errors.ts';
import { parseDatasetUpload } from './parse-upload.ts';

type Typed = Float32Array | Float64Array | Int32Array | Uint8Array | BigInt64Array | Int16Array;

/** A .npy file (format version 1) as NumPy writes it: magic, header padded to 64 bytes, raw data. */
function npy(descr: string, shape: number[], data: Typed, options: { fortran?: boolean } = {}): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': ${options.fortran ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
  header = header.padEnd(Math.ceil((header.length + 11) / 64) * 64 - 11, ' ') + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}

const range = <T,>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));
/** 10 samples of shape [2, 2]: sample i holds i, i+0.25, i+0.5, i+0.75. */
const xValues = range(40, (j) => Math.floor(j / 4) + (j % 4) / 4);
const labels = range(10, (i) => i % 3);
const x32 = npy('<f4', [10, 2, 2], Float32Array.from(xValues));
const yInt = npy('<i8', [10], BigInt64Array.from(labels.map(BigInt)));
const file = (name: string, bytes: Uint8Array) => ({ name, bytes });
const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

function expectContractError(run: () => unknown, field: string, message: RegExp): void {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ContractError);
    expect((error as ContractError).field).toBe(field);
    expect((error as ContractError).message).toMatch(message);
    return;
  }
  throw new Error(`expected a ContractError on ${field}`);
}

describe('parseDatasetUpload: accepted forms', () => {
  it('x.npy + y.npy: int labels → classification, test = every 5th sample', () => {
    const d = parseDatasetUpload([file('x.npy', x32), file('y.npy', yInt)], {});
    expect(d.task).toBe('classification');
    expect(d.classes).toBe(3);
    expect(d.targetSize).toBeNull();
    expect(d.inputShape).toEqual([2, 2]);
    expect(d.train.n).toBe(8);
    expect(d.test.n).toBe(2);
    expect(Array.from(d.test.x.subarray(0, 4))).toEqual([4, 4.25, 4.5, 4.75]);
    expect(Array.from(d.test.y)).toEqual([labels[4], labels[9]]);
    expect(Array.from(d.train.x.subarray(16, 20))).toEqual([5, 5.25, 5.5, 5.75]);
    expect(decodeDataset(encodeDataset(d))).toEqual(d);
  });

  it('float64 x is converted to float32 and float y gives regression with the trailing target size', () => {
    const x = npy('<f8', [10, 3], Float64Array.from(range(30, (j) => j / 3)));
    const y = npy('<f4', [10, 2], Float32Array.from(range(20, (j) => j * 0.5)));
    const xt = npy('<f8', [4, 3], Float64Array.from(range(12, (j) => -j)));
    const yt = npy('<f4', [4, 2], Float32Array.from(range(8, (j) => j)));
    const d = parseDatasetUpload([file('x.npy', x), file('y.npy', y), file('x_test.npy', xt), file('y_test.npy', yt)], {});
    expect(d.task).toBe('regression');
    expect(d.targetSize).toBe(2);
    expect(d.classes).toBeNull();
    expect(d.train.n).toBe(10);
    expect(d.test.n).toBe(4);
    expect(d.train.x).toBeInstanceOf(Float32Array);
    expect(d.train.x[4]).toBe(Math.fround(4 / 3));
    expect(d.test.y).toBeInstanceOf(Float32Array);
  });

  it('one .npz with x, y, x_test, y_test (compressed or stored)', () => {
    for (const level of [0, 6] as const) {
      const archive = zipSync({ 'x.npy': x32, 'y.npy': yInt, 'x_test.npy': x32, 'y_test.npy': yInt }, { level });
      const d = parseDatasetUpload([file('data.npz', archive)], {});
      expect(d.train.n).toBe(10);
      expect(d.test.n).toBe(10);
      expect(Array.from(d.train.y)).toEqual(labels);
    }
  });

  it('one .json with nested arrays; fields.task overrides the inferred task', () => {
    const body = { x: range(10, (i) => [[i, i + 0.25], [i + 0.5, i + 0.75]]), y: labels };
    const d = parseDatasetUpload([file('set.json', json(body))], {});
    expect(d.task).toBe('classification');
    expect(d.inputShape).toEqual([2, 2]);
    expect(Array.from(d.train.x.subarray(0, 8))).toEqual(xValues.slice(0, 8));
    const r = parseDatasetUpload([file('set.json', json(body))], { task: 'regression' });
    expect(r.task).toBe('regression');
    expect(r.targetSize).toBe(1);
    expect(Array.from(r.train.y.subarray(0, 3))).toEqual([0, 1, 2]);
  });

  it('integer-valued float labels become classes when task=classification', () => {
    const y = npy('<f4', [10], Float32Array.from(labels));
    expect(parseDatasetUpload([file('x.npy', x32), file('y.npy', y)], { task: 'classification' }).classes).toBe(3);
  });
});

describe('parseDatasetUpload: rejected input names the file and the fault', () => {
  it('shape mismatch between x and y', () => {
    const y9 = npy('<i4', [9], Int32Array.from(labels.slice(0, 9)));
    expectContractError(() => parseDatasetUpload([file('x.npy', x32), file('y.npy', y9)], {}), 'y.npy', /9 samples but x\.npy has 10/);
  });

  it('NaN in x', () => {
    const values = Float32Array.from(xValues);
    values[13] = NaN;
    expectContractError(() => parseDatasetUpload([file('x.npy', npy('<f4', [10, 2, 2], values)), file('y.npy', yInt)], {}), 'x.npy', /sample 3 holds NaN/);
  });

  it('Fortran order and big-endian arrays', () => {
    const fortran = npy('<f4', [10, 2, 2], Float32Array.from(xValues), { fortran: true });
    expectContractError(() => parseDatasetUpload([file('x.npy', fortran), file('y.npy', yInt)], {}), 'x.npy', /Fortran order/);
    const bigEndian = npy('>f4', [10, 2, 2], Float32Array.from(xValues));
    expectContractError(() => parseDatasetUpload([file('x.npy', bigEndian), file('y.npy', yInt)], {}), 'x.npy', /big-endian/);
  });

  it('truncated, non-npy, integer x and unsupported dtypes', () => {
    expectContractError(() => parseDatasetUpload([file('x.npy', x32.subarray(0, x32.length - 3)), file('y.npy', yInt)], {}), 'x.npy', /truncated/);
    expectContractError(() => parseDatasetUpload([file('x.npy', json({ a: 1 })), file('y.npy', yInt)], {}), 'x.npy', /not a \.npy file/);
    const intX = npy('<i4', [10, 1], Int32Array.from(labels));
    expectContractError(() => parseDatasetUpload([file('x.npy', intX), file('y.npy', yInt)], {}), 'x.npy', /not float32 or float64/);
    const half = npy('<f2', [10], new Int16Array(10));
    expectContractError(() => parseDatasetUpload([file('x.npy', x32), file('y.npy', half)], {}), 'y.npy', /dtype <f2 is not supported/);
  });

  it('empty arrays and a single class', () => {
    const emptyX = npy('<f4', [0, 2], new Float32Array(0));
    const emptyY = npy('<i4', [0], new Int32Array(0));
    expectContractError(() => parseDatasetUpload([file('x.npy', emptyX), file('y.npy', emptyY)], {}), 'x.npy', /no samples/);
    const zeros = npy('<i4', [10], new Int32Array(10));
    expectContractError(() => parseDatasetUpload([file('x.npy', x32), file('y.npy', zeros)], {}), 'y.npy', /at least 2 classes/);
    const negative = npy('<i4', [10], Int32Array.from(labels.map((l) => l - 1)));
    expectContractError(() => parseDatasetUpload([file('x.npy', x32), file('y.npy', negative)], {}), 'y.npy', /label -1 of sample 0/);
  });

  it('unknown files, missing arrays, unpaired test arrays and bad task', () => {
    expectContractError(() => parseDatasetUpload([file('x.npy', x32), file('labels.csv', yInt)], {}), 'labels.csv', /unknown file/);
    expectContractError(() => parseDatasetUpload([file('x.npy', x32)], {}), 'x.npy', /y is missing/);
    expectContractError(() => parseDatasetUpload([file('x.npy', x32), file('y.npy', yInt), file('x_test.npy', x32)], {}), 'files', /y_test is missing/);
    expectContractError(() => parseDatasetUpload([file('x.npy', x32), file('y.npy', yInt)], { task: 'ranking' }), 'task', /neither/);
    expectContractError(() => parseDatasetUpload([], {}), 'files', /no dataset file/);
    expectContractError(() => parseDatasetUpload([file('a.npz', new Uint8Array(5)), file('y.npy', yInt)], {}), 'a.npz', /only file/);
  });

  it('bad .npz archives and members', () => {
    expectContractError(() => parseDatasetUpload([file('data.npz', json({}))], {}), 'data.npz', /not a readable \.npz/);
    const extra = zipSync({ 'x.npy': x32, 'y.npy': yInt, 'w.npy': x32 });
    expectContractError(() => parseDatasetUpload([file('data.npz', extra)], {}), 'data.npz/w.npy', /unknown array/);
    const broken = zipSync({ 'x.npy': x32.subarray(0, 20), 'y.npy': yInt });
    expectContractError(() => parseDatasetUpload([file('data.npz', broken)], {}), 'data.npz/x.npy', /truncated/);
  });

  it('bad .json bodies', () => {
    expectContractError(() => parseDatasetUpload([file('d.json', new TextEncoder().encode('{"x": [1,'))], {}), 'd.json', /not valid JSON/);
    const ragged = { x: [[1, 2], [3]], y: [0, 1] };
    expectContractError(() => parseDatasetUpload([file('d.json', json(ragged))], {}), 'd.json:x', /rectangular/);
    const text = { x: [[1, 2], [3, 'a']], y: [0, 1] };
    expectContractError(() => parseDatasetUpload([file('d.json', json(text))], {}), 'd.json:x', /\[1\]\[1\] is "a", not a number/);
    expectContractError(() => parseDatasetUpload([file('d.json', json({ x: [[1]], y: [0], z: [1] }))], {}), 'd.json:z', /unknown key/);
  });

  it('more samples than the limit', () => {
    const n = 1_000_001;
    const x = npy('<f4', [n], new Float32Array(n));
    const y = npy('|u1', [n], new Uint8Array(n));
    expectContractError(() => parseDatasetUpload([file('x.npy', x), file('y.npy', y)], {}), 'files', /exceed the limit of 1000000/);
  });

  it('more than 200 MB of array data', () => {
    // Only the header is real: the size check must come before the data is read.
    const header = npy('<f4', [60_000_000, 1], new Float32Array(0));
    expectContractError(() => parseDatasetUpload([file('x.npy', header), file('y.npy', yInt)], {}), 'x.npy', /more than 200 MB/);
  });
});
