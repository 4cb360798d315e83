import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { BUILTIN_DATASETS, type DatasetInfo } from '../../contract/index.ts';
import { encodeDataset, type DatasetArrays } from '../../contract/dataset-codec.ts';
import type { BlobStore } from './blobs.ts';
import { readJsonDir, writeAtomic } from './files.ts';

export class DatasetStore {
  private readonly uploads = new Map<string, DatasetInfo>();

  constructor(
    private readonly dir: string,
    private readonly blobs: BlobStore,
  ) {}

  async load(): Promise<void> {
    for (const record of await readJsonDir<DatasetInfo>(this.dir)) this.uploads.set(record.id, record);
  }

  list(): DatasetInfo[] {
    return [...BUILTIN_DATASETS, ...[...this.uploads.values()].sort((a, b) => a.name.localeCompare(b.name))];
  }

  get(id: string): DatasetInfo | undefined {
    return BUILTIN_DATASETS.find((d) => d.id === id) ?? this.uploads.get(id);
  }

  async register(name: string, description: string, arrays: DatasetArrays): Promise<DatasetInfo> {
    const hash = await this.blobs.put(encodeDataset(arrays));
    const record: DatasetInfo = {
      id: `d-${randomBytes(5).toString('hex')}`,
      name,
      kind: 'uploaded',
      description,
      task: arrays.task,
      inputShape: arrays.inputShape,
      classes: arrays.classes,
      targetSize: arrays.targetSize,
      splits: { train: arrays.train.n, test: arrays.test.n },
      hash,
      createdAt: new Date().toISOString(),
    };
    await writeAtomic(join(this.dir, `${record.id}.json`), JSON.stringify(record));
    this.uploads.set(record.id, record);
    return record;
  }
}
