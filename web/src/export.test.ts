import { describe, expect, it } from 'vitest';
import { applyChunk, createGrid } from './grid.ts';
import { surfaceToCsv, surfaceToJson } from './export.ts';

const engine = { name: 'tfjs' as const, backend: 'wasm', version: '1' };

describe('export', () => {
  const grid = createGrid({ min: 0, max: 1, num: 2 }, { min: -1, max: 1, num: 2 }, true);
  applyChunk(grid, { index: 0, iy: 0, ix: [0, 1], level: 0, loss: [0.5, null], accuracy: [1, null], nonFinite: [], seconds: 0, engine });

  it('CSV has one row per point in [iy][ix] order with empty cells for missing values', () => {
    const lines = surfaceToCsv(grid).trim().split('\n');
    expect(lines).toEqual([
      'ix,iy,alpha,beta,loss,accuracy,state',
      '0,0,0,-1,0.5,1,finite',
      '1,0,1,-1,,,non-finite',
      '0,1,0,1,,,pending',
      '1,1,1,1,,,pending',
    ]);
  });

  it('JSON uses the API result layout', () => {
    const json = JSON.parse(surfaceToJson(grid, { id: 'x' }));
    expect(json).toMatchObject({ id: 'x', kind: '2d', shape: [2, 2], loss: [[0.5, null], [null, null]], axes: { x: [0, 1], y: [-1, 1] } });
  });
});
