import { describe, expect, it } from 'vitest';
import { DEFAULT_VIEW_STATE, parseViewState, serializeViewState } from './url-state.ts';

describe('url state', () => {
  it('round-trips a full view state', () => {
    const state = {
      ...DEFAULT_VIEW_STATE,
      compare: ['a1', 'b2'],
      camera: { position: [1.5, -2, 1.25] as [number, number, number], target: [0, 0, 0.5] as [number, number, number] },
      colormap: 'magma' as const,
      scale: 'log' as const,
      clip: 10,
      levels: '0.1:10:0.5',
      view: '2d' as const,
      wireframe: true,
    };
    const query = serializeViewState(state);
    expect(query).toContain('compare=a1,b2');
    expect(query).toContain('levels=0.1:10:0.5');
    expect(parseViewState(query)).toEqual(state);
  });

  it('defaults are left out of the link', () => {
    expect(serializeViewState(DEFAULT_VIEW_STATE)).toBe('');
    expect(serializeViewState({ ...DEFAULT_VIEW_STATE, surface: 'abc' })).toBe('?surface=abc');
  });

  it('carries a difference view as ?difference=A,B, and ignores a malformed pair', () => {
    const state = { ...DEFAULT_VIEW_STATE, difference: ['a1', 'b2'] as [string, string] };
    expect(serializeViewState(state)).toBe('?difference=a1,b2');
    expect(parseViewState('?difference=a1,b2')).toEqual(state);
    expect(parseViewState('?difference=a1').difference).toBeNull();
    expect(parseViewState('?difference=a1,<b>').difference).toBeNull();
  });

  it('carries an ensemble as ?ensemble=id, with &member=j when a member is shown', () => {
    const state = { ...DEFAULT_VIEW_STATE, ensemble: 'e1', member: 2 };
    expect(serializeViewState(state)).toBe('?ensemble=e1&member=2');
    expect(parseViewState('?ensemble=e1&member=2')).toEqual(state);
    expect(serializeViewState({ ...state, member: null })).toBe('?ensemble=e1');
    expect(parseViewState('?ensemble=e1&member=0').member).toBeNull();
  });

  it('a malformed link falls back to defaults instead of failing', () => {
    const state = parseViewState('?compare=a,a,b,<x>,c,d,e,f,g&cmap=rainbow&clip=-3&cam=1,2&scale=ln');
    expect(state.compare).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(state.colormap).toBe('viridis');
    expect(state.clip).toBeNull();
    expect(state.camera).toBeNull();
    expect(state.scale).toBe('linear');
  });
});
