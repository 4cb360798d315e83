import { describe, expect, it } from 'vitest';
import { decodeDataset, encodeDataset, type DatasetArrays } from './dataset-codec.ts';
import { ContractError } from './errors.ts';

const classification: DatasetArrays = {
  task: 'classification', inputShape: [2, 3], classes: 4, targetSize: null,
  train: { x: Float32Array.from({ length: 18 }, (_, i) => i / 7), y: Int32Array.from([0, 3, 1]), n: 3 },
  test: { x: Float32Array.from({ length: 6 }, (_, i) => -i), y: Int32Array.from([2]), n: 1 },
};
const regression: DatasetArrays = {
  task: 'regression', inputShape: [1], classes: null, targetSize: 2,
  train: { x: Float32Array.from([0.5, 1.5]), y: Float32Array.from([1, 2, 3, 4]), n: 2 },
  test: { x: new Float32Array(0), y: new Float32Array(0), n: 0 },
};

describe('dataset codec', () => {
  for (const [label, d] of [['classification', classification], ['regression', regression]] as const) {
    it(`round-trips a ${label} set exactly`, () => {
      const bytes = encodeDataset(d);
      const back = decodeDataset(bytes);
      expect(back).toEqual(d);
      expect(back.train.y).toBeInstanceOf(d.train.y.constructor);
      expect(encodeDataset(back)).toEqual(bytes);
    });
  }

  it('starts with the magic and version and aligns arrays to 8 bytes', () => {
    const bytes = encodeDataset(classification);
    expect(new TextDecoder().decode(bytes.subarray(0, 4))).toBe('LADS');
    expect(new DataView(bytes.buffer).getUint32(4, true)).toBe(1);
    expect(bytes.length % 8).toBe(0);
  });

  it('decodes from a view at an odd offset of a larger buffer', () => {
    const bytes = encodeDataset(classification);
    const padded = new Uint8Array(bytes.length + 3);
    padded.set(bytes, 3);
    expect(decodeDataset(padded.subarray(3))).toEqual(classification);
  });

  it('rejects truncated bytes at every cut', () => {
    const bytes = encodeDataset(classification);
    const lastArrayEnd = bytes.length - 4; // test.y is one int32 label followed by 4 bytes of padding
    for (const cut of [0, 3, 11, 20, lastArrayEnd - 1]) {
      expect(() => decodeDataset(bytes.subarray(0, cut)), `cut at ${cut}`).toThrow(ContractError);
    }
  });

  it('rejects bad magic, version, header and labels', () => {
    const bytes = encodeDataset(classification);
    const corrupt = (at: number, value: number) => {
      const copy = bytes.slice();
      copy[at] = value;
      return copy;
    };
    expect(() => decodeDataset(corrupt(0, 0x58))).toThrow(/bad magic/);
    expect(() => decodeDataset(corrupt(4, 9))).toThrow(/version 9/);
    expect(() => decodeDataset(corrupt(12, 0x20))).toThrow(/not valid JSON/);
    const badLabel = { ...classification, train: { ...classification.train, y: Int32Array.from([0, 4, 1]) } };
    expect(() => encodeDataset(badLabel)).toThrow(/train\.y\[1\] = 4 is not a class/);
  });

  it('rejects arrays whose lengths do not match n and the input shape', () => {
    const short = { ...classification, test: { ...classification.test, x: new Float32Array(5) } };
    expect(() => encodeDataset(short)).toThrow(ContractError);
    const wrongY = { ...regression, train: { ...regression.train, y: Int32Array.from([1, 2, 3, 4]) } };
    expect(() => encodeDataset(wrongY)).toThrow(/Float32Array/);
  });
});
