import { describe, expect, it } from 'vitest';
import type { SurfaceRecord } from '../../contract/index.ts';
import { differencePartners } from './difference-picker.ts';

function record(id: string, changes: { model?: string; status?: SurfaceRecord['status']; seed?: number; num?: number } = {}): SurfaceRecord {
  const axis = { min: -1, max: 1, num: changes.num ?? 5 };
  return {
    id,
    status: changes.status ?? 'completed',
    request: { model: changes.model ?? 'm', dataset: { id: 'mnist' }, grid: { x: axis, y: axis } },
    provenance: {
      dataset: { id: 'mnist', hash: 'h', split: 'test', samples: 100, sampleSeed: 0, indicesHash: 'i' },
      loss: 'categorical_crossentropy',
      directions: { seed: changes.seed ?? 0, normalization: 'filter', ignore: 'biasbn', mode: 'weights', hash: id, cosine: 0, rng: 'r' },
    },
  } as unknown as SurfaceRecord;
}

describe('differencePartners', () => {
  it('offers the other finished surfaces on the same grid, samples and directions, whatever their model', () => {
    const current = record('a');
    const surfaces = [current, record('b', { model: 'other' }), record('c', { seed: 1 }), record('d', { num: 7 }), record('e', { status: 'running' })];
    expect(differencePartners(current, surfaces).map((s) => s.id)).toEqual(['b']);
  });

  it('offers nothing for an unfinished surface', () => {
    expect(differencePartners(record('a', { status: 'running' }), [record('b')])).toEqual([]);
  });
});
