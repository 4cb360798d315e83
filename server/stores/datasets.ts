import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BUILTIN_DATASETS, missingDatasetFiles, notInstalledMessage, type DatasetInfo } from '../../contract/index.ts';
import { badRequest } from '../errors.ts';
import { encodeDataset, type DatasetArrays } from '../../contract/dataset-codec.ts';
import type { BlobStore } from './blobs.ts';
import { readJsonDir, writeAtomic } from './files.ts';

export class DatasetStore {
  private readonly uploads = new Map<string, DatasetInfo>();

  constructor(
    private readonly dir: string,
    private readonly blobs: BlobStore,
    /** File check of the built-ins a system package installs (Fashion-MNIST); tests pass their own. */
    private readonly exists: (path: string) => boolean = existsSync,
  ) {}

  private installed(info: DatasetInfo): boolean {
    return missingDatasetFiles(info.id, this.exists).length === 0;
  }

  async load(): Promise<void> {
    for (const record of await readJsonDir<DatasetInfo>(this.dir)) this.uploads.set(record.id, record);
  }

  list(): DatasetInfo[] {
    return [...BUILTIN_DATASETS.filter((d) => this.installed(d)), ...[...this.uploads.values()].sort((a, b) => a.name.localeCompare(b.name))];
  }

  /** The dataset, undefined when unknown; a 400 naming `field` and the package when it is a built-in not installed here. */
  get(id: string, field = 'dataset.id'): DatasetInfo | undefined {
    const builtin = BUILTIN_DATASETS.find((d) => d.id === id);
    if (builtin && !this.installed(builtin)) throw badRequest('DATASET_NOT_INSTALLED', notInstalledMessage(id), field);
    return builtin ?? this.uploads.get(id);
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
