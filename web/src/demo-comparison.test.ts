import { describe, expect, it } from 'vitest';
import type { SurfaceRecord, SurfaceRequest } from '../../contract/index.ts';
import { findDemoPair } from './demo-comparison.ts';

const axis = { min: -1, max: 1, num: 11 };
const dataset = { id: 'mnist', split: 'test' as const, samples: 200 };
/** What the form sends: every direction field explicit. */
const formRequest: SurfaceRequest = {
  model: 'demo-cnn-skip',
  dataset,
  directions: { normalization: 'filter', ignore: 'biasbn', mode: 'weights', seed: 0 },
  grid: { x: axis, y: axis },
};
type Changes = { kind?: '1d' | '2d'; status?: SurfaceRecord['status']; samples?: number; seed?: number; num?: number; loss?: string };
/** A stored surface whose request leaves defaults out, as API clients may. */
const surface = (id: string, model: string, changes: Changes = {}) =>
  ({
    id,
    kind: changes.kind ?? '2d',
    status: changes.status ?? 'completed',
    request: {
      model,
      grid: { x: { ...axis, num: changes.num ?? axis.num }, y: axis },
      dataset: { id: 'mnist', samples: changes.samples ?? dataset.samples },
      directions: { seed: changes.seed ?? 0 },
      ...(changes.loss ? { loss: changes.loss } : {}),
    },
  }) as unknown as SurfaceRecord;

describe('findDemoPair', () => {
  it('reuses the newest skip and plain surfaces with exactly the settings asked for (defaults filled in)', () => {
    const surfaces = [
      surface('skip-500', 'demo-cnn-skip', { samples: 500 }),
      surface('plain-200', 'demo-cnn-plain'),
      surface('skip-200', 'demo-cnn-skip'),
      surface('plain-500', 'demo-cnn-plain', { samples: 500 }),
    ];
    expect(findDemoPair(surfaces, formRequest)).toEqual(['skip-200', 'plain-200']);
    expect(findDemoPair(surfaces, { ...formRequest, dataset: { ...dataset, samples: 500 } })).toEqual(['skip-500', 'plain-500']);
  });

  it('finds nothing when only surfaces of other settings exist: grid, samples, direction seed or loss', () => {
    for (const other of [{ num: 21 }, { samples: 100 }, { seed: 3 }, { loss: 'mse' }]) {
      expect(findDemoPair([surface('s', 'demo-cnn-skip', other), surface('p', 'demo-cnn-plain', other)], formRequest)).toBeNull();
      // One of the two matching is not a pair either.
      expect(findDemoPair([surface('s', 'demo-cnn-skip'), surface('p', 'demo-cnn-plain', other)], formRequest)).toBeNull();
    }
  });

  it('skips 1D, failed and cancelled surfaces, and takes running ones', () => {
    expect(findDemoPair([surface('s', 'demo-cnn-skip'), surface('p', 'demo-cnn-plain', { status: 'failed' })], formRequest)).toBeNull();
    expect(findDemoPair([surface('s', 'demo-cnn-skip', { kind: '1d' }), surface('p', 'demo-cnn-plain')], formRequest)).toBeNull();
    expect(findDemoPair([surface('s', 'demo-cnn-skip', { status: 'cancelled' }), surface('p', 'demo-cnn-plain')], formRequest)).toBeNull();
    expect(findDemoPair([surface('s', 'demo-cnn-skip', { status: 'running' }), surface('p', 'demo-cnn-plain')], formRequest)).toEqual(['s', 'p']);
  });
});
