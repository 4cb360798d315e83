import { isColormapName, type ColormapName } from './colormap.ts';

/** Everything needed to reproduce a view from its link. */
export interface ViewState {
  /** The surface shown in the single view (null: none yet). */
  surface: string | null;
  /** Surfaces of the compare view (2 to 6); empty when not comparing. */
  compare: string[];
  /** [A, B] of the difference view L_A − L_B (`?difference=A,B`); null when not shown. */
  difference: [string, string] | null;
  /** The direction ensemble shown (`?ensemble=id`); null when none. */
  ensemble: string | null;
  /** Its member shown, 1 … k (`&member=j`); null: the median. */
  member: number | null;
  camera: { position: [number, number, number]; target: [number, number, number] } | null;
  colormap: ColormapName;
  scale: 'linear' | 'log';
  /** Maximum loss drawn (null: no clip). */
  clip: number | null;
  /** Isoline levels "min:max:step" in loss units; null = automatic. */
  levels: string | null;
  view: '3d' | '2d';
  wireframe: boolean;
}

export const MAX_COMPARE = 6;

export const DEFAULT_VIEW_STATE: ViewState = {
  surface: null,
  compare: [],
  difference: null,
  ensemble: null,
  member: null,
  camera: null,
  colormap: 'viridis',
  scale: 'linear',
  clip: null,
  levels: null,
  view: '3d',
  wireframe: false,
};

const ID_PATTERN = /^[A-Za-z0-9_-]{1,100}$/;

function parseVector(text: string | null): [number, number, number] | null {
  if (!text) return null;
  const parts = text.split(',').map(Number);
  return parts.length === 3 && parts.every(Number.isFinite) ? (parts as [number, number, number]) : null;
}

/**
 * Reads a view state from a query string. Unknown or malformed values fall back to the defaults
 * (a shared link with a typo still opens), duplicate and surplus compare ids are dropped.
 */
export function parseViewState(search: string): ViewState {
  const params = new URLSearchParams(search);
  const surface = params.get('surface');
  const compare = [...new Set((params.get('compare') ?? '').split(',').map((id) => id.trim()))].filter((id) => ID_PATTERN.test(id)).slice(0, MAX_COMPARE);
  const pair = (params.get('difference') ?? '').split(',').map((id) => id.trim());
  const difference = pair.length === 2 && pair.every((id) => ID_PATTERN.test(id)) ? (pair as [string, string]) : null;
  const position = parseVector(params.get('cam'));
  const target = parseVector(params.get('target')) ?? [0, 0, 0];
  const colormap = params.get('cmap') ?? '';
  const clip = Number(params.get('clip'));
  const ensemble = params.get('ensemble');
  const member = Number(params.get('member'));
  return {
    surface: surface && ID_PATTERN.test(surface) ? surface : null,
    compare,
    difference,
    ensemble: ensemble && ID_PATTERN.test(ensemble) ? ensemble : null,
    member: Number.isInteger(member) && member >= 1 ? member : null,
    camera: position ? { position, target } : null,
    colormap: isColormapName(colormap) ? colormap : DEFAULT_VIEW_STATE.colormap,
    scale: params.get('scale') === 'log' ? 'log' : 'linear',
    clip: params.get('clip') !== null && Number.isFinite(clip) && clip > 0 ? clip : null,
    levels: params.get('levels') || null,
    view: params.get('view') === '2d' ? '2d' : '3d',
    wireframe: params.get('wire') === '1',
  };
}

const round = (value: number) => Number(value.toFixed(3));

/** The query string of a view state; defaults are left out so links stay short. */
export function serializeViewState(state: ViewState): string {
  const params = new URLSearchParams();
  if (state.compare.length > 0) params.set('compare', state.compare.join(','));
  else if (state.difference) params.set('difference', state.difference.join(','));
  else if (state.surface) params.set('surface', state.surface);
  else if (state.ensemble) {
    params.set('ensemble', state.ensemble);
    if (state.member !== null) params.set('member', String(state.member));
  }
  if (state.camera) {
    params.set('cam', state.camera.position.map(round).join(','));
    if (state.camera.target.some((v) => round(v) !== 0)) params.set('target', state.camera.target.map(round).join(','));
  }
  if (state.colormap !== DEFAULT_VIEW_STATE.colormap) params.set('cmap', state.colormap);
  if (state.scale !== 'linear') params.set('scale', state.scale);
  if (state.clip !== null) params.set('clip', String(state.clip));
  if (state.levels) params.set('levels', state.levels);
  if (state.view !== '3d') params.set('view', state.view);
  if (state.wireframe) params.set('wire', '1');
  const query = params.toString().replaceAll('%2C', ',').replaceAll('%3A', ':');
  return query ? `?${query}` : '';
}

