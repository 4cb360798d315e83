import { Type, type Static } from 'typebox';
import { TenantField } from './tenant.ts';
import { EnsembleMember } from './metrics/ensemble.ts';
import { ensembleMemberSeed, Progress, randomDirectionOptions, SurfaceRequest, SurfaceStatus } from './surface.ts';

/**
 * Direction ensembles: one request with directions.ensemble = k ≥ 2 becomes k plain surfaces of
 * the same model, grid, samples and settings, member j with direction seed seed_j
 * (ENSEMBLE_SEED_RULE). The ensemble's state is its members' state; its statistics are computed
 * from their results (contract/metrics/ensemble.ts).
 */

/** k of a request: directions.ensemble, 1 when absent (a plain surface). */
export function ensembleSize(request: Pick<SurfaceRequest, 'directions'>): number {
  return randomDirectionOptions(request.directions).ensemble ?? 1;
}

/**
 * Member j's surface request: the ensemble's request with directions.seed = seed_j and no
 * ensemble field (a plain surface), named after the ensemble and the member.
 */
export function ensembleMemberRequest(request: SurfaceRequest, j: number, defaultSeed: number): SurfaceRequest {
  const { ensemble: k, ...directions } = randomDirectionOptions(request.directions);
  return {
    ...request,
    directions: { ...directions, seed: ensembleMemberSeed(directions.seed ?? defaultSeed, j) },
    name: `${request.name ?? 'ensemble'}: member ${j + 1}/${k ?? 1}`,
  };
}

/** What the API stores of an ensemble: it never changes after submission. */
export const StoredEnsemble = Type.Object({
  id: Type.String(),
  name: Type.Union([Type.String(), Type.Null()]),
  request: SurfaceRequest,
  members: Type.Array(EnsembleMember),
  createdAt: Type.String(),
  ...TenantField,
});
export type StoredEnsemble = Static<typeof StoredEnsemble>;

export const EnsembleStatus = Type.Union([Type.Literal('queued'), Type.Literal('running'), Type.Literal('completed'), Type.Literal('failed'), Type.Literal('cancelled')], {
  description: 'From the members: completed when all are; failed when one failed; cancelled when one was cancelled (and none failed); queued while all are; running otherwise',
});
export type EnsembleStatus = Static<typeof EnsembleStatus>;

export const EnsembleMemberState = Type.Object({
  ...EnsembleMember.properties,
  status: SurfaceStatus,
  progress: Progress,
  error: Type.Union([Type.Object({ code: Type.String(), message: Type.String() }), Type.Null()]),
});
export type EnsembleMemberState = Static<typeof EnsembleMemberState>;

export const EnsembleRecord = Type.Object({
  id: Type.String(),
  name: Type.Union([Type.String(), Type.Null()]),
  status: EnsembleStatus,
  k: Type.Integer({ description: 'Members (directions.ensemble)' }),
  progress: Type.Object({ done: Type.Integer({ minimum: 0, description: 'Grid points evaluated over all members' }), total: Type.Integer({ minimum: 0, description: 'k × the grid\'s points' }) }),
  request: SurfaceRequest,
  directions: Type.Object(
    {
      seed: Type.Integer({ description: 'The request\'s directions.seed (default 0)' }),
      rule: Type.String({ description: 'How member j\'s seed follows from it' }),
      seeds: Type.Array(Type.Integer(), { description: 'seed_j of every member, in member order' }),
    },
    { description: 'Provenance of the members\' directions (each member\'s surface records its own seed, directions hash and cos(δ, η))' },
  ),
  members: Type.Array(EnsembleMemberState),
  error: Type.Union([Type.Object({ code: Type.String(), message: Type.String() }), Type.Null()], { description: 'The first failed member\'s error, naming the member' }),
  createdAt: Type.String(),
  finishedAt: Type.Union([Type.String(), Type.Null()]),
  links: Type.Object({
    self: Type.String(),
    statistics: Type.String({ description: 'GET: the point-wise and metric statistics once completed (409 before)' }),
    members: Type.Array(Type.String(), { description: 'Each member\'s surface (its events, result, metrics under it)' }),
  }),
  ...TenantField,
});
export type EnsembleRecord = Static<typeof EnsembleRecord>;

/** An ensemble's status from its members' (EnsembleStatus). */
export function ensembleStatus(members: readonly { status: SurfaceStatus }[]): EnsembleStatus {
  const statuses = new Set(members.map((m) => m.status));
  if (statuses.has('failed')) return 'failed';
  if (statuses.has('cancelled')) return 'cancelled';
  if (statuses.size === 1 && (statuses.has('completed') || statuses.has('queued'))) return [...statuses][0] as 'completed' | 'queued';
  return 'running';
}
