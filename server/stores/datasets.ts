import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BUILTIN_DATASETS, missingDatasetFiles, notInstalledMessage, type DatasetInfo } from '../../contract/index.ts';
import { canRead, ownerOf, readable, type Principal } from '../tenancy.ts';
import { badRequest } from '../errors.ts';
import { encodeDataset, type DatasetArrays } from '../../contract/dataset-codec.ts';
import type { BlobStore } from './blobs.ts';
import { readJsonDir, removeFile, writeAtomic } from './files.ts';

/** The built-ins are public: every tenant reads them, none changes them. */
const PUBLIC_BUILTINS: DatasetInfo[] = BUILTIN_DATASETS.map((d) => ({ ...d, tenant: null }));

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

  /** Installed built-ins, then the uploads the viewer may read (every upload for an admin). */
  list(viewer: Principal): DatasetInfo[] {
    const uploads = [...this.uploads.values()].filter((d) => canRead(viewer, ownerOf(d))).sort((a, b) => a.name.localeCompare(b.name));
    return [...PUBLIC_BUILTINS.filter((d) => this.installed(d)), ...uploads];
  }

  /** The dataset, undefined when unknown; a 400 naming `field` and the package when it is a built-in not installed here. */
  get(id: string, field = 'dataset.id'): DatasetInfo | undefined {
    const builtin = PUBLIC_BUILTINS.find((d) => d.id === id);
    if (builtin && !this.installed(builtin)) throw badRequest('DATASET_NOT_INSTALLED', notInstalledMessage(id), field);
    return builtin ?? this.uploads.get(id);
  }

  /** The dataset when the viewer may read it; otherwise a 400 naming `field` (as an unknown id), or a 404 without one. */
  readable(id: string, viewer: Principal, field?: string): DatasetInfo {
    const dataset = field === undefined ? (PUBLIC_BUILTINS.find((d) => d.id === id) ?? this.uploads.get(id)) : this.get(id, field);
    return readable(viewer, dataset, 'dataset', id, field);
  }

  /** Forget an uploaded dataset; its blob stays (content-addressed, possibly shared). */
  async remove(id: string): Promise<void> {
    await removeFile(join(this.dir, `${id}.json`));
    this.uploads.delete(id);
  }

  async register(name: string, description: string, arrays: DatasetArrays, tenant: string): Promise<DatasetInfo> {
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
      tenant,
    };
    await writeAtomic(join(this.dir, `${record.id}.json`), JSON.stringify(record));
    this.uploads.set(record.id, record);
    return record;
  }
}
