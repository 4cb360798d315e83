import { ContractError } from '../../contract/errors.ts';
import { isH5, readH5 } from '../../contract/exports/h5.ts';
import type { Provenance, Split, SurfaceRecord, SurfaceResult } from '../../contract/index.ts';

interface H5Dataset {
  shape: number[] | null;
  value: unknown;
}

const SPLITS: Split[] = ['train', 'test', 'both'];

/**
 * A surface file in the reference's layout (plot_surface.py; also Loss Atlas' own h5 export):
 * xcoordinates, optional ycoordinates, <split>_loss and optional <split>_acc (percent). The
 * reference declares 2D values (nx, ny) and Loss Atlas (ny, nx), but both are filled in the
 * same flat order, k = iy·nx + ix (np.meshgrid(x, y).ravel()), so the values are read flat.
 * The reference fills points not yet computed with -1: a negative loss is read as missing (null).
 */
export async function readSurfaceH5(bytes: Uint8Array, file: string, split?: Split) {
  if (!isH5(bytes)) throw new ContractError(file, 'is not an HDF5 file');
  const read = await readH5(bytes, (h5) => {
    const keys = h5.keys();
    const chosen = split ?? SPLITS.find((s) => keys.includes(`${s}_loss`));
    if (!chosen || !keys.includes(`${chosen}_loss`)) {
      throw new ContractError(split ? 'split' : file, `has no ${split ? `${split}_loss` : 'train_loss, test_loss or both_loss'} dataset (it holds ${keys.join(', ')})`);
    }
    const values = (name: string) => {
      const dataset = h5.get(name) as unknown as H5Dataset | null;
      return dataset ? Float64Array.from(dataset.value as ArrayLike<number>, Number) : null;
    };
    const provenance = h5.attrs.provenance?.value;
    return {
      split: chosen,
      x: values('xcoordinates'),
      y: keys.includes('ycoordinates') ? values('ycoordinates') : null,
      loss: values(`${chosen}_loss`)!,
      accuracy: keys.includes(`${chosen}_acc`) ? values(`${chosen}_acc`) : null,
      provenance: typeof provenance === 'string' ? (JSON.parse(provenance) as Provenance) : null,
    };
  });
  if (!read) throw new ContractError(file, 'is not a readable HDF5 file');
  if (!read.x || read.x.length < 2) throw new ContractError(file, 'needs an xcoordinates dataset of at least 2 values');
  const nx = read.x.length;
  const ny = read.y?.length ?? 1;
  if (read.loss.length !== nx * ny) throw new ContractError(file, `${read.split}_loss holds ${read.loss.length} values, xcoordinates × ycoordinates = ${nx} × ${ny}`);
  if (read.accuracy && read.accuracy.length !== nx * ny) throw new ContractError(file, `${read.split}_acc holds ${read.accuracy.length} values, expected ${nx * ny}`);
  return { ...read, nx, ny };
}

/**
 * A read-only completed surface from an uploaded h5: its record and result, provenance marked
 * imported (the file's own provenance when Loss Atlas wrote it, else what the file tells).
 */
export async function importedSurface(bytes: Uint8Array, file: string, id: string, sha256: string, options: { name?: string; split?: Split }): Promise<{ record: SurfaceRecord; result: SurfaceResult }> {
  const s = await readSurfaceH5(bytes, file, options.split);
  const grid = (values: Float64Array) => Array.from({ length: s.ny }, (_, iy) => Array.from(values.subarray(iy * s.nx, (iy + 1) * s.nx)));
  const nonFinite: SurfaceResult['nonFinite'] = [];
  const loss = grid(s.loss).map((row, iy) =>
    row.map((v, ix) => {
      if (!Number.isFinite(v)) nonFinite.push({ ix, iy, value: String(v) as 'NaN' | 'Infinity' | '-Infinity' });
      return Number.isFinite(v) && v >= 0 ? v : null;
    }),
  );
  const accuracy = s.accuracy ? grid(s.accuracy).map((row, iy) => row.map((v, ix) => (loss[iy]![ix] === null || !Number.isFinite(v) ? null : v / 100))) : null;
  const imported = { format: 'h5', file, sha256 };
  const provenance: Provenance = {
    ...(s.provenance ?? {
      model: { id: 'imported', name: file, hash: '', parameterCount: 0 },
      dataset: { id: 'imported', hash: null, split: s.split, samples: 0, sampleSeed: 0, indicesHash: null },
      directions: { seed: 0, normalization: 'none', ignore: 'unknown', mode: 'unknown', hash: null, cosine: null, rng: 'unknown: imported surface' },
      loss: 'sparse_categorical_crossentropy',
      batchSize: 0,
      engine: null,
      software: { lossAtlas: 'unknown', node: 'unknown' },
    }),
    imported,
  };
  const axis = (values: Float64Array) => ({ min: values[0]!, max: values[values.length - 1]!, num: values.length });
  const x = Array.from(s.x!);
  const y = s.y ? Array.from(s.y) : null;
  const kind = y ? '2d' : '1d';
  const now = new Date().toISOString();
  const record: SurfaceRecord = {
    id,
    name: options.name ?? file,
    kind,
    status: 'completed',
    progress: { done: s.nx * s.ny, total: s.nx * s.ny },
    request: {
      model: provenance.model.id,
      dataset: { id: provenance.dataset.id, split: s.split },
      grid: { x: axis(s.x!), ...(s.y ? { y: axis(s.y) } : {}) },
      name: options.name ?? file,
    },
    provenance,
    timings: { createdAt: now, startedAt: null, finishedAt: now, secondsPerPoint: null },
    error: null,
  };
  return { record, result: { id, kind, axes: { x, y }, shape: [s.ny, s.nx], loss, accuracy, nonFinite, provenance } };
}
