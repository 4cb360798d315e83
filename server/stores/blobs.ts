import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { RedisKeys } from '../../contract/index.ts';
import { writeAtomic } from './files.ts';

export function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Content-addressed artifacts. Disk (DATA_DIR/blobs) is the durable copy; Redis holds the copy
 * workers read, so no disk is shared between the API and the workers.
 */
export class BlobStore {
  constructor(
    private readonly dir: string,
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  private path(hash: string): string {
    return join(this.dir, hash.slice(0, 2), hash);
  }

  async put(bytes: Uint8Array): Promise<string> {
    const hash = sha256(bytes);
    if (!(await this.has(hash))) await writeAtomic(this.path(hash), bytes);
    return hash;
  }

  async has(hash: string): Promise<boolean> {
    return stat(this.path(hash)).then(
      () => true,
      () => false,
    );
  }

  async get(hash: string): Promise<Buffer | null> {
    try {
      return await readFile(this.path(hash));
    } catch {
      return null;
    }
  }

  /** Make the blob readable by workers (Redis may have restarted since it was stored). */
  async publish(hash: string): Promise<void> {
    const key = this.keys.blob(hash);
    if (await this.redis.exists(key)) return;
    const bytes = await this.get(hash);
    if (!bytes) throw new Error(`blob ${hash} is missing from ${this.dir}`);
    await this.redis.set(key, bytes);
  }

  /** Copy a blob a worker produced (e.g. directions) to disk. */
  async persistFromRedis(hash: string): Promise<boolean> {
    if (await this.has(hash)) return true;
    const bytes = await this.redis.getBuffer(this.keys.blob(hash));
    if (!bytes || sha256(bytes) !== hash) return false;
    await writeAtomic(this.path(hash), bytes);
    return true;
  }
}
