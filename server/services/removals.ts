import type { ComparisonRequest } from '../../contract/comparisons.ts';
import type { ResolvedTrainingRequest } from '../../contract/training.ts';
import { HttpError } from '../errors.ts';
import { writable, type Principal } from '../tenancy.ts';
import type { AppServices } from './index.ts';

type Removals = Pick<AppServices, 'models' | 'datasets' | 'surfaces' | 'trainings' | 'comparisons'>;

/** 409 naming the first queued or running job that uses the resource: deleting it would fail that job. */
function refuseInUse(code: string, what: string, id: string, users: string[]): void {
  if (users.length > 0) throw new HttpError(409, code, `${what} "${id}" is used by ${users[0]}${users.length > 1 ? ` and ${users.length - 1} more` : ''} (queued or running); retry when they end`);
}

/** Delete a model: its owner or an admin; a public demo is a 403; 409 MODEL_IN_USE while a job uses it. */
export async function removeModel({ models, surfaces, trainings, comparisons }: Removals, id: string, viewer: Principal): Promise<void> {
  writable(viewer, models.get(id), 'model', id);
  const users = [
    ...surfaces.inFlight().filter((s) => s.provenance.model.id === id).map((s) => `surface ${s.id}`),
    ...(await trainings.inFlight()).filter((t) => (t.request as ResolvedTrainingRequest).model?.id === id).map((t) => `training ${t.id}`),
    ...(await comparisons.inFlight()).filter((c) => c.members.some((m) => m.modelId === id)).map((c) => `comparison ${c.id}`),
  ];
  refuseInUse('MODEL_IN_USE', 'model', id, users);
  await models.remove(id);
}

/** Delete an uploaded dataset: its owner or an admin; a built-in is a 403; 409 DATASET_IN_USE while a job uses it. */
export async function removeDataset({ datasets, surfaces, trainings, comparisons }: Removals, id: string, viewer: Principal): Promise<void> {
  writable(viewer, datasets.readable(id, viewer), 'dataset', id);
  const users = [
    ...surfaces.inFlight().filter((s) => s.provenance.dataset.id === id).map((s) => `surface ${s.id}`),
    ...(await trainings.inFlight()).filter((t) => (t.request as ResolvedTrainingRequest).dataset.id === id).map((t) => `training ${t.id}`),
    ...(await comparisons.inFlight()).filter((c) => (c.request as ComparisonRequest).shared.dataset.id === id).map((c) => `comparison ${c.id}`),
  ];
  refuseInUse('DATASET_IN_USE', 'dataset', id, users);
  await datasets.remove(id);
}
