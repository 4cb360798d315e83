import { describe, expect, it } from 'vitest';
import { HttpError } from '../errors.ts';
import type { BlobStore } from './blobs.ts';
import { DatasetStore } from './datasets.ts';
import { LOCAL_PRINCIPAL } from '../tenancy.ts';

/** Registration only touches blobs; listing and lookup of built-ins never do. */
const noBlobs = {} as BlobStore;

describe('DatasetStore and installed built-ins', () => {
  it('lists and serves fashion-mnist only where its IDX files (plain or .gz) are present', () => {
    const present = new DatasetStore('/unused', noBlobs, (path) => path.endsWith('.gz'));
    expect(present.list(LOCAL_PRINCIPAL).map((d) => d.id)).toEqual(expect.arrayContaining(['fashion-mnist', 'fashion-mnist-seg', 'mnist']));
    expect(present.get('fashion-mnist')?.splits).toEqual({ train: 60000, test: 10000 });

    const absent = new DatasetStore('/unused', noBlobs, () => false);
    const ids = absent.list(LOCAL_PRINCIPAL).map((d) => d.id);
    expect(ids).toContain('mnist');
    expect(ids).not.toContain('fashion-mnist');
    expect(ids).not.toContain('fashion-mnist-seg');
    expect(absent.get('mnist')?.id).toBe('mnist');
  });

  it('a job naming an absent fashion-mnist gets a 400 naming the field, the dataset and the package', () => {
    const absent = new DatasetStore('/unused', noBlobs, () => false);
    let error: unknown;
    try {
      absent.get('fashion-mnist', 'shared.dataset.id');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ statusCode: 400, code: 'DATASET_NOT_INSTALLED', field: 'shared.dataset.id' });
    expect((error as Error).message).toMatch(/dataset "fashion-mnist" is not installed.*apt-get install -y dataset-fashion-mnist/);
    expect(absent.get('no-such-set')).toBeUndefined();
  });
});
