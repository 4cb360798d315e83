import { describe, expect, it } from 'vitest';
import type { SurfaceRecord } from '../../contract/index.ts';
import { findDemoPair } from './demo-comparison.ts';

const axis = { min: -1, max: 1, num: 11 };
const dataset = { id: 'mnist', split: 'test', samples: 200 };
const surface = (id: string, model: string, changes: { kind?: '1d' | '2d'; status?: SurfaceRecord['status']; samples?: number } = {}) =>
  ({
    id,
    kind: changes.kind ?? '2d',
    status: changes.status ?? 'completed',
    request: { model, grid: { x: axis, y: axis }, dataset: { ...dataset, samples: changes.samples ?? dataset.samples }, directions: { seed: 0 } },
  }) as unknown as SurfaceRecord;

describe('findDemoPair', () => {
  it('pairs the first skip surface with a plain one on the same grid, data and directions', () => {
    const surfaces = [
      surface('skip-500', 'demo-cnn-skip', { samples: 500 }),
      surface('plain-200', 'demo-cnn-plain'),
      surface('skip-200', 'demo-cnn-skip'),
      surface('plain-500', 'demo-cnn-plain', { samples: 500 }),
    ];
    expect(findDemoPair(surfaces)).toEqual(['skip-500', 'plain-500']);
  });

  it('skips 1D, failed and cancelled surfaces, and finds nothing without a matching pair', () => {
    expect(findDemoPair([surface('s', 'demo-cnn-skip'), surface('p', 'demo-cnn-plain', { status: 'failed' })])).toBeNull();
    expect(findDemoPair([surface('s', 'demo-cnn-skip', { kind: '1d' }), surface('p', 'demo-cnn-plain')])).toBeNull();
    expect(findDemoPair([surface('s', 'demo-cnn-skip', { status: 'cancelled' }), surface('p', 'demo-cnn-plain')])).toBeNull();
    expect(findDemoPair([surface('s', 'demo-cnn-skip', { status: 'running' }), surface('p', 'demo-cnn-plain')])).toEqual(['s', 'p']);
    expect(findDemoPair([surface('s', 'demo-cnn-skip'), surface('p', 'demo-cnn-plain', { samples: 100 })])).toBeNull();
  });
});
