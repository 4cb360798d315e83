import { mkdir, readFile, rename, writeFile, readdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** Write-then-rename, so a crash never leaves a half-written file where a reader looks. */
export async function writeAtomic(path: string, data: Uint8Array | string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

export async function readJsonOrNull<T>(path: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Every JSON record in a folder (ignoring temporary files). */
export async function readJsonDir<T>(dir: string): Promise<T[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const records = await Promise.all(names.filter((n) => n.endsWith('.json')).map((n) => readJsonOrNull<T>(join(dir, n))));
  return records.filter((r): r is NonNullable<typeof r> => r !== null) as T[];
}

export async function removeFile(path: string): Promise<void> {
  await rm(path, { force: true });
}

/** The entries of a fixtures folder, sorted; none when it cannot be read (fixtures are optional). */
export async function fixtureFolders(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch {
    return [];
  }
}
