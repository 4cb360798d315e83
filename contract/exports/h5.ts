import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import h5wasm from 'h5wasm/node';

/**
 * HDF5 through h5wasm (the HDF5 C library compiled to WebAssembly). Its Node build works on real
 * files, so bytes pass through a private temporary directory that is removed afterwards.
 */
export type H5File = InstanceType<typeof h5wasm.File>;

async function withTemporaryFile<T>(use: (path: string) => Promise<T>): Promise<T> {
  await h5wasm.ready;
  const dir = await mkdtemp(join(tmpdir(), 'loss-atlas-h5-'));
  try {
    return await use(join(dir, 'file.h5'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A new HDF5 file filled by `fill`, as bytes. */
export function writeH5(fill: (file: H5File) => void): Promise<Uint8Array> {
  return withTemporaryFile(async (path) => {
    const file = new h5wasm.File(path, 'w');
    try {
      fill(file);
    } finally {
      file.close();
    }
    return new Uint8Array(await readFile(path));
  });
}

/** Reads HDF5 bytes with `read`; null when the bytes are not an HDF5 file. */
export function readH5<T>(bytes: Uint8Array, read: (file: H5File) => T): Promise<T | null> {
  return withTemporaryFile(async (path) => {
    await writeFile(path, bytes);
    let file: H5File;
    try {
      file = new h5wasm.File(path, 'r');
    } catch {
      return null;
    }
    try {
      return read(file);
    } finally {
      file.close();
    }
  });
}

/** The HDF5 signature (\x89HDF\r\n\x1a\n) at offset 0, where h5py writes it. */
export function isH5(bytes: Uint8Array): boolean {
  const signature = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
  return bytes.length >= 8 && signature.every((b, i) => bytes[i] === b);
}
