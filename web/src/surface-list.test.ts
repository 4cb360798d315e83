import { describe, expect, it } from 'vitest';
import type { SurfaceRecord } from '../../contract/index.ts';
import { compareButton, surfaceListItems } from './surface-list.ts';

const axis = { min: -1, max: 1, num: 21 };
const record = (id: string, status: SurfaceRecord['status'], name: string | null, y: typeof axis | undefined, seed = 0, createdAt = '2026-12-06T19:22:05Z') =>
  ({
    id, name, status,
    request: { model: 'demo-cnn-skip', grid: { x: axis, y } },
    provenance: { dataset: { id: 'mnist', split: 'test', samples: 500 }, directions: { seed } },
    timings: { createdAt },
  }) as unknown as SurfaceRecord;
const time = (iso: string) => {
  const d = new Date(iso);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
};

describe('surface list', () => {
  it('labels each surface by its name (else its model) and grid, and lets only finished ones be compared', () => {
    expect(surfaceListItems([record('a', 'completed', 'mine', axis), record('b', 'running', null, undefined)])).toEqual([
      { id: 'a', label: 'mine · 21×21', detail: `demo-cnn-skip · mnist test · 500 samples · seed 0 · ${time('2026-12-06T19:22:05Z')}`, status: 'completed', comparable: true },
      { id: 'b', label: 'demo-cnn-skip · 1D 21', detail: `mnist test · 500 samples · seed 0 · ${time('2026-12-06T19:22:05Z')}`, status: 'running', comparable: false },
    ]);
  });

  it('tells apart two surfaces of one model on one grid by their direction seed and creation time', () => {
    const [first, second] = surfaceListItems([record('a', 'completed', null, axis, 0, '2026-12-06T19:22:05Z'), record('b', 'completed', null, axis, 7, '2026-12-06T20:01:00Z')]);
    expect(first!.label).toBe(second!.label);
    expect(first!.detail).toContain('seed 0');
    expect(second!.detail).toContain('seed 7');
    expect(first!.detail).not.toBe(second!.detail);
  });

  it('enables "Compare selected" for 2 to 6 ticked surfaces and counts them', () => {
    expect(compareButton(1)).toEqual({ disabled: true, textContent: 'Compare selected (1)' });
    expect(compareButton(2).disabled).toBe(false);
    expect(compareButton(6).disabled).toBe(false);
    expect(compareButton(7)).toEqual({ disabled: true, textContent: 'Compare selected (7)' });
  });
});
