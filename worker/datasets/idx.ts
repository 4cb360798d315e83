import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/**
 * IDX files (LeCun's MNIST format, also Fashion-MNIST's): big-endian u32 magic 0x0000 TT DD
 * (TT = element type, DD = number of dimensions), DD big-endian u32 sizes, then the elements in
 * row-major order. Only unsigned bytes (TT = 0x08) occur in image sets; other types are rejected.
 */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const UNSIGNED_BYTE = 0x08;

/** Parse IDX bytes, gunzipping them first when they start with the gzip magic 1f 8b. */
export function parseIdx(raw: Uint8Array, source = 'IDX data'): IdxArray {
  const bytes = raw[0] === 0x1f && raw[1] === 0x8b ? new Uint8Array(gunzipSync(raw)) : raw;
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) throw new Error(`${source}: not an IDX file (bad magic)`);
  if (bytes[2] !== UNSIGNED_BYTE) throw new Error(`${source}: element type 0x${bytes[2]!.toString(16)} is not unsigned byte (0x08)`);
  const rank = bytes[3]!;
  const headerLength = 4 + 4 * rank;
  if (rank === 0 || bytes.length < headerLength) throw new Error(`${source}: truncated header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: rank }, (_, k) => view.getUint32(4 + 4 * k, false));
  const count = dims.reduce((n, d) => n * d, 1);
  if (bytes.length !== headerLength + count) throw new Error(`${source}: ${bytes.length - headerLength} data bytes, the header declares ${count}`);
  return { dims, data: bytes.subarray(headerLength) };
}

/** Read `path` or, when only that is shipped, `path.gz`. */
export function readIdxFile(path: string): IdxArray {
  const file = existsSync(path) ? path : `${path}.gz`;
  return parseIdx(readFileSync(file), file);
}
