import type { SurfaceRecord } from '../../contract/index.ts';
import { api } from './api.ts';
import { DEFAULT_JOB, type JobForm } from './form.ts';

/** The demo nets the top bar compares: with and without skip connections, otherwise alike. */
export const DEMO_MODELS = [DEFAULT_JOB.model, 'demo-cnn-plain'] as const;

/**
 * Surfaces of both demo nets that can be compared: 2D, not failed or cancelled, and on the same
 * grid, data and directions. The first match in the list order (newest first) wins; null when none.
 */
export function findDemoPair(surfaces: readonly SurfaceRecord[]): [string, string] | null {
  const usable = (model: string) => surfaces.filter((s) => s.request.model === model && s.kind === '2d' && s.status !== 'failed' && s.status !== 'cancelled');
  const key = (s: SurfaceRecord) => JSON.stringify([s.request.grid, s.request.dataset, s.request.directions ?? {}]);
  for (const skip of usable(DEMO_MODELS[0])) {
    const plain = usable(DEMO_MODELS[1]).find((s) => key(s) === key(skip));
    if (plain) return [skip.id, plain.id];
  }
  return null;
}

/**
 * The surfaces of the skip vs no-skip comparison: an existing pair, or, when there is none, both
 * demo nets started with the form's settings (on a square grid when the form asks for a line).
 */
export async function demoComparison(form: JobForm): Promise<{ ids: string[]; started: boolean }> {
  const pair = findDemoPair(await api.surfaces());
  if (pair) return { ids: pair, started: false };
  const request = form.readRequest();
  if (!request.grid.y && request.grid.x) request.grid.y = { ...request.grid.x };
  const ids = [];
  for (const model of DEMO_MODELS) ids.push((await api.createSurface({ ...request, model, name: undefined })).id);
  return { ids, started: true };
}
