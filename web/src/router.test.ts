import { describe, expect, it } from 'vitest';
import { pageOf } from './router.ts';
import { DEFAULT_VIEW_STATE } from './url-state.ts';

describe('pageOf', () => {
  it('opens the intro without a surface, the single view with one, and the compare view with 2 or more', () => {
    expect(pageOf(DEFAULT_VIEW_STATE)).toEqual({ page: 'intro', problem: null });
    expect(pageOf({ ...DEFAULT_VIEW_STATE, surface: 'a' })).toEqual({ page: 'single', problem: null });
    expect(pageOf({ ...DEFAULT_VIEW_STATE, surface: 'a', compare: ['b', 'c'] })).toEqual({ page: 'compare', problem: null });
    expect(pageOf({ ...DEFAULT_VIEW_STATE, difference: ['a', 'b'] })).toEqual({ page: 'difference', problem: null });
    expect(pageOf({ ...DEFAULT_VIEW_STATE, ensemble: 'e', member: 2 })).toEqual({ page: 'ensemble', problem: null });
    expect(pageOf({ ...DEFAULT_VIEW_STATE, ensemble: 'e', surface: 'a' }).page).toBe('single');
  });

  it('reports a comparison of one surface and shows the page without it', () => {
    expect(pageOf({ ...DEFAULT_VIEW_STATE, compare: ['b'] })).toEqual({ page: 'intro', problem: 'A comparison needs 2 to 6 surfaces.' });
    expect(pageOf({ ...DEFAULT_VIEW_STATE, surface: 'a', compare: ['b'] }).page).toBe('single');
  });
});
