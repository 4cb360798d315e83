import type { SurfaceRecord, SurfaceRequest } from '../../contract/index.ts';
import { api } from './api.ts';
import { DEFAULT_JOB, type JobForm } from './form.ts';

/** The demo nets the top bar compares: with and without skip connections, otherwise alike. */
export const DEMO_MODELS = [DEFAULT_JOB.model, 'demo-cnn-plain'] as const;

/** Fields left out of a request take these (contract: DatasetSelection, DirectionOptions). */
const DATASET_DEFAULTS = { split: 'test', sampleSeed: 0 };
const DIRECTION_DEFAULTS = { kind: 'random', seed: 0, normalization: 'filter', ignore: 'biasbn', mode: 'weights' };

/** JSON with sorted keys, so that two objects with the same fields compare equal as strings. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().filter((k) => (value as Record<string, unknown>)[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** What makes two surfaces of a model the same computation: the whole request but model and name (grid, data and samples, directions, loss, …), defaults filled in. */
export function settingsKey(request: SurfaceRequest): string {
  return canonical({
    ...request,
    model: undefined,
    name: undefined,
    dataset: { ...DATASET_DEFAULTS, ...request.dataset },
    directions: { ...DIRECTION_DEFAULTS, ...request.directions },
  });
}

/**
 * Surfaces of both demo nets computed with exactly the settings of `request` (grid, samples,
 * directions, loss), 2D and not failed or cancelled. The first match in the list order (newest
 * first) wins; null when there is none.
 */
export function findDemoPair(surfaces: readonly SurfaceRecord[], request: SurfaceRequest): [string, string] | null {
  const wanted = settingsKey(request);
  const usable = (model: string) =>
    surfaces.find((s) => s.request.model === model && s.kind === '2d' && s.status !== 'failed' && s.status !== 'cancelled' && settingsKey(s.request) === wanted);
  const [skip, plain] = DEMO_MODELS.map(usable);
  return skip && plain ? [skip.id, plain.id] : null;
}

/**
 * The surfaces of the skip vs no-skip comparison with the form's settings (on a square grid when
 * the form asks for a line): the existing pair with exactly these settings, or both demo nets
 * started fresh; `message` says which, for the page to show.
 */
export async function demoComparison(form: JobForm): Promise<{ ids: string[]; started: boolean; message: string }> {
  const request = form.readRequest();
  delete request.name;
  if (!request.grid.y && request.grid.x) request.grid.y = { ...request.grid.x };
  const { x, y } = request.grid as { x: { num: number }; y: { num: number } };
  const settings = `${x.num}×${y.num} grid, ${request.dataset.samples} ${request.dataset.id} ${request.dataset.split ?? 'test'} samples, direction seed ${(request.directions as { seed?: number } | undefined)?.seed ?? 0}`;
  const pair = findDemoPair(await api.surfaces(), request);
  if (pair) return { ids: pair, started: false, message: `Showing the demo surfaces computed earlier with the form's settings (${settings}).` };
  const ids = [];
  for (const model of DEMO_MODELS) ids.push((await api.createSurface({ ...request, model })).id);
  return { ids, started: true, message: `Computing both demo nets with the form's settings (${settings}); no earlier pair had exactly these.` };
}
