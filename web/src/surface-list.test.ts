import { describe, expect, it } from 'vitest';
import type { SurfaceRecord } from '../../contract/index.ts';
import { compareButton, surfaceListItems } from './surface-list.ts';

const axis = { min: -1, max: 1, num: 21 };
const record = (id: string, status: SurfaceRecord['status'], name: string | null, y: typeof axis | undefined) =>
  ({ id, name, status, request: { model: 'demo-cnn-skip', grid: { x: axis, y } } }) as unknown as SurfaceRecord;

describe('surface list', () => {
  it('labels each surface by its name (else its model) and grid, and lets only finished ones be compared', () => {
    expect(surfaceListItems([record('a', 'completed', 'mine', axis), record('b', 'running', null, undefined)])).toEqual([
      { id: 'a', label: 'mine · 21×21', status: 'completed', comparable: true },
      { id: 'b', label: 'demo-cnn-skip · 1D 21', status: 'running', comparable: false },
    ]);
  });

  it('enables "Compare selected" for 2 to 6 ticked surfaces and counts them', () => {
    expect(compareButton(1)).toEqual({ disabled: true, textContent: 'Compare selected (1)' });
    expect(compareButton(2).disabled).toBe(false);
    expect(compareButton(6).disabled).toBe(false);
    expect(compareButton(7)).toEqual({ disabled: true, textContent: 'Compare selected (7)' });
  });
});
