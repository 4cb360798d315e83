/**
 * Writing .npy (NumPy format 1.0): little-endian C-order arrays. Readers: numpy.load, and
 * server/datasets/parse-upload.ts (parseNpy) on the way in.
 */
type NpyData = Float64Array | Float32Array | Int32Array | string;

function descr(data: NpyData): string {
  if (typeof data === 'string') return `<U${Math.max(1, [...data].length)}`;
  return data instanceof Float64Array ? '<f8' : data instanceof Float32Array ? '<f4' : '<i4';
}

/** A string is stored as a 0-d unicode array (UTF-32 LE), which numpy reads back with .item(). */
export function npy(data: NpyData, shape: number[] = typeof data === 'string' ? [] : [data.length]): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr(data)}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // Magic (6) + version (2) + header length (2) + header, padded with spaces to a multiple of 64, ending in \n.
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const body =
    typeof data === 'string'
      ? new Uint8Array(Uint32Array.from([...data].map((c) => c.codePointAt(0)!)).buffer)
      : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(10 + header.length + body.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(body, 10 + header.length);
  return out;
}
