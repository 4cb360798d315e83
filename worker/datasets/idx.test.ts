import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseIdx } from './idx.ts';

/** An IDX file written by hand: magic 00 00 08 rank, big-endian sizes, bytes. */
function idx(dims: number[], values: number[]): Uint8Array {
  const header = [0, 0, 0x08, dims.length, ...dims.flatMap((d) => [(d >>> 24) & 255, (d >>> 16) & 255, (d >>> 8) & 255, d & 255])];
  return Uint8Array.from([...header, ...values]);
}

describe('parseIdx', () => {
  it('reads dims (big-endian) and row-major bytes, plain or gzipped', () => {
    const file = idx([2, 3, 258], Array.from({ length: 2 * 3 * 258 }, (_, i) => i % 251));
    for (const bytes of [file, new Uint8Array(gzipSync(file))]) {
      const { dims, data } = parseIdx(bytes);
      expect(dims).toEqual([2, 3, 258]);
      expect(data.length).toBe(1548);
      expect(data[1547]).toBe(1547 % 251);
    }
  });

  it('rejects bad magic, other element types and truncation, naming the source', () => {
    expect(() => parseIdx(Uint8Array.from([1, 0, 8, 1, 0, 0, 0, 1, 5]), 'x.idx')).toThrow(/x\.idx: not an IDX file/);
    expect(() => parseIdx(Uint8Array.from([0, 0, 0x0d, 1, 0, 0, 0, 1, 5, 5, 5, 5]))).toThrow(/element type 0xd/);
    expect(() => parseIdx(idx([4], [1, 2, 3]))).toThrow(/3 data bytes, the header declares 4/);
  });
});
