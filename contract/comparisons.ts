import { Type, type Static } from 'typebox';
import { TenantField } from './tenant.ts';
import { ArchitectureSpec } from './architectures.ts';
import { DatasetSelection } from './datasets.ts';
import { LossName } from './losses.ts';
import { SurfaceMetrics } from './metrics/surface-metrics.ts';
import { Compile, type Validator } from 'typebox/compile';
import { HessianMapRequest, HessianMapResult, HessianSummary } from './metrics/hessian.ts';
import { GradientFlow } from './metrics/gradient-flow.ts';
import { MetricSpread } from './metrics/ensemble.ts';
import { SpectrumResult } from './metrics/spectrum.ts';
import { Axis, DirectionOptions, SurfaceRecord, SurfaceResult } from './surface.ts';
import { ContractError } from './errors.ts';
import { TrainingRequest } from './training.ts';

/**
 * Comparisons: several members (stored models, or zoo architectures trained on demand) mapped on
 * the identical grid with the same direction seed and normalization and the same samples, then
 * measured with surfaceMetrics and summarised by comparisonFinding.
 */

const trainingOptionKeys = ['epochs', 'batchSize', 'optimizer', 'schedule', 'weightDecay', 'seed', 'checkpointEvery'] as const;

export const MemberTraining = Type.Partial(Type.Pick(TrainingRequest, trainingOptionKeys), {
  additionalProperties: false,
  description: 'Training options for an architecture member (defaults: the comparison’s `training`, then epochs 5 and the TrainingRequest defaults)',
});
export type MemberTraining = Static<typeof MemberTraining>;

export const ComparisonMember = Type.Object(
  {
    label: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Shown in the compare view; default the model name or architecture id' })),
    model: Type.Optional(Type.String({ minLength: 1, description: 'A stored model id (exactly one of model / architecture)' })),
    architecture: Type.Optional(ArchitectureSpec),
    training: Type.Optional(MemberTraining),
  },
  { additionalProperties: false },
);
export type ComparisonMember = Static<typeof ComparisonMember>;

export const ComparisonRequest = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 200 })),
    members: Type.Array(ComparisonMember, { minItems: 1, maxItems: 8 }),
    shared: Type.Object(
      {
        dataset: DatasetSelection,
        grid: Type.Object({ x: Axis, y: Type.Optional(Axis) }, { additionalProperties: false }),
        directions: Type.Optional(DirectionOptions),
        loss: Type.Optional(LossName),
        batchSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 4096 })),
        hessian: Type.Optional(Type.Union([HessianMapRequest, Type.Literal(false)], {
          description: 'Full-Hessian |λmin/λmax| map of every member\'s surface, run after its surface with these settings (fields left out take COMPARISON_HESSIAN_DEFAULTS: 3×3 points, 64 samples, then the HessianMapRequest defaults; each point costs up to maxSteps exact Hessian-vector products); false skips it',
        })),
      },
      {
        additionalProperties: false,
        description:
          'Identical for every member: samples, grid, direction seed and normalization; with directions.ensemble = k ≥ 2 every member is mapped over the same k ' +
          'seeded direction pairs and the finding compares medians and states whether a difference exceeds their spread',
      },
    ),
    training: Type.Optional(MemberTraining),
  },
  { additionalProperties: false },
);
export type ComparisonRequest = Static<typeof ComparisonRequest>;

/** Cheap enough to run for every member by default (ResNet-56 ×0.25 on MNIST: about 6 minutes on one core). */
export const COMPARISON_HESSIAN_DEFAULTS = { points: 3, samples: 64 } as const satisfies HessianMapRequest;

export const MemberStatus = Type.Union([
  Type.Literal('pending'), Type.Literal('training'), Type.Literal('mapping'), Type.Literal('analysing'), Type.Literal('completed'), Type.Literal('failed'),
], { description: 'analysing: the surface and its metrics are done; the Hessian map and gradient flows are running' });
export type MemberStatus = Static<typeof MemberStatus>;

/** The member's Hessian map (GET /api/v1/surfaces/{surfaceId}/hessian has the points). */
export const MemberHessian = Type.Object({
  status: Type.Union([Type.Literal('queued'), Type.Literal('running'), Type.Literal('completed'), Type.Literal('failed')]),
  progress: Type.Object({ done: Type.Integer(), total: Type.Integer() }),
  summary: Type.Union([HessianSummary, Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()], { description: 'Why the map failed; the member still completes with its other metrics' }),
});
export type MemberHessian = Static<typeof MemberHessian>;

/** The member's direction ensemble (shared.directions.ensemble ≥ 2). */
export const MemberEnsemble = Type.Object({
  id: Type.String({ description: 'GET /api/v1/ensembles/{id}' }),
  k: Type.Integer(),
  metrics: Type.Union([Type.Record(Type.String(), MetricSpread), Type.Null()], { description: 'EnsembleStatistics.metrics once every member is completed' }),
});
export type MemberEnsemble = Static<typeof MemberEnsemble>;

export const ComparisonMemberState = Type.Object({
  label: Type.String(),
  architecture: Type.Union([Type.Object({ id: Type.String(), width: Type.Number() }), Type.Null()]),
  status: MemberStatus,
  trainingId: Type.Union([Type.String(), Type.Null()], { description: 'The training run, when the member had no weights yet' }),
  modelId: Type.Union([Type.String(), Type.Null()]),
  surfaceId: Type.Union([Type.String(), Type.Null()], { description: 'The member\'s surface; with an ensemble, its member 0 (the shared directions seed)' }),
  surface: Type.Union([SurfaceResult, Type.Null()], { description: 'The finished surface' }),
  metrics: Type.Union([SurfaceMetrics, Type.Null()], { description: 'surfaceMetrics of that surface' }),
  ensemble: Type.Optional(Type.Union([MemberEnsemble, Type.Null()], { description: 'With shared.directions.ensemble ≥ 2: the member\'s ensemble, whose spreads the finding uses' })),
  hessian: Type.Union([MemberHessian, Type.Null()], { description: 'null until the surface is done, or when shared.hessian is false' }),
  gradientFlow: Type.Array(GradientFlow, {
    description: 'Per-layer gradient norms on the surface\'s samples: "initialisation" (the architecture rebuilt from the model\'s training recipe and seed; zoo-trained models only) and "trained"',
  }),
  gradientFlowOmitted: Type.Optional(Type.Array(Type.Object({ label: Type.String(), reason: Type.String() }), {
    description: 'The gradient flows left out and why: "initialisation" of a model without a zoo training recipe, a model format without gradients, a job that failed or outlasted LA_GRADIENT_FLOW_TIMEOUT_MS. Absent in comparisons stored before it was recorded',
  })),
  error: Type.Union([Type.Object({ code: Type.String(), message: Type.String() }), Type.Null()]),
});
export type ComparisonMemberState = Static<typeof ComparisonMemberState>;

export const ComparisonStatus = Type.Union([Type.Literal('running'), Type.Literal('completed'), Type.Literal('failed')]);
export type ComparisonStatus = Static<typeof ComparisonStatus>;

export const ComparisonRecord = Type.Object({
  id: Type.String(),
  name: Type.Union([Type.String(), Type.Null()]),
  status: ComparisonStatus,
  request: Type.Unknown(),
  members: Type.Array(ComparisonMemberState),
  finding: Type.Union([Type.String(), Type.Null()], { description: 'comparisonFinding over the completed members' }),
  createdAt: Type.String(),
  finishedAt: Type.Union([Type.String(), Type.Null()]),
  links: Type.Object({
    self: Type.String(),
    ensemble: Type.Optional(Type.String({ description: 'A committed demo with a direction-ensemble companion: GET it for the companion (EnsembleCompanion)' })),
  }),
  ...TenantField,
});
export type ComparisonRecord = Static<typeof ComparisonRecord>;

/** A comparison with its members' surfaces left out: what the API stores and GET /api/v1/comparisons lists. */
export const StoredComparison = Type.Object({
  ...Type.Omit(ComparisonRecord, ['members']).properties,
  members: Type.Array(Type.Omit(ComparisonMemberState, ['surface'])),
});
export type StoredComparison = Static<typeof StoredComparison>;

const MaybeGrid = Type.Array(Type.Array(Type.Union([Type.Number(), Type.Null()])));

/** One member of a direction-ensemble companion: what the report draws of its ensemble statistics. */
export const CompanionMember = Type.Object({
  label: Type.String({ description: 'The member\'s label in the main comparison' }),
  ensembleId: Type.String({ description: 'The ensemble it ran as (on the stack that exported it)' }),
  k: Type.Integer({ minimum: 2 }),
  metrics: Type.Record(Type.String(), MetricSpread, { description: 'EnsembleStatistics.metrics: every metric\'s median, quartiles and extremes over the k direction pairs' }),
  loss: Type.Object(
    {
      median: MaybeGrid,
      iqr: MaybeGrid,
    },
    { description: 'Point-wise median and interquartile range (q3 − q1) of the loss over the k surfaces, [iy][ix], rounded to 7 significant digits (float32 precision); null where no member is finite' },
  ),
}, { additionalProperties: false });
export type CompanionMember = Static<typeof CompanionMember>;

/**
 * A demo's direction-ensemble companion: the same members, dataset and directions seed as the
 * demo's comparison, on a possibly coarser grid, each member mapped over k seeded direction pairs;
 * its finding compares medians and states whether a difference exceeds their spread. Served by
 * GET /api/v1/comparisons/{id}/ensemble (ComparisonRecord.links.ensemble).
 */
export const EnsembleCompanion = Type.Object({
  comparisonId: Type.String({ description: 'The companion comparison\'s id on the stack that exported it' }),
  request: ComparisonRequest,
  finding: Type.Union([Type.String(), Type.Null()]),
  axes: Type.Object({ x: Type.Array(Type.Number()), y: Type.Union([Type.Array(Type.Number()), Type.Null()]) }, { description: 'The companion\'s grid (α, β values)' }),
  members: Type.Array(CompanionMember),
}, { additionalProperties: false });
export type EnsembleCompanion = Static<typeof EnsembleCompanion>;

/**
 * A finished comparison shipped with the project (fixtures/comparisons/<id>/comparison.json), with
 * its members' surfaces, Hessian maps and, where they were computed, Hessian spectra (served by
 * GET /api/v1/surfaces/{id}/spectrum like computed ones; absent in fixtures exported before them),
 * and optionally its direction-ensemble companion (absent in fixtures exported before it).
 */
export const ComparisonFixture = Type.Object({
  comparison: StoredComparison,
  surfaces: Type.Array(Type.Object({
    record: SurfaceRecord,
    result: SurfaceResult,
    hessian: Type.Union([HessianMapResult, Type.Null()]),
    spectra: Type.Optional(Type.Array(SpectrumResult)),
  })),
  ensemble: Type.Optional(EnsembleCompanion),
});
export type ComparisonFixture = Static<typeof ComparisonFixture>;

let fixtureValidator: Validator | undefined;

/** A fixture file's text, checked against ComparisonFixture (`where` names the file in the error). */
export function readComparisonFixture(text: string, where: string): ComparisonFixture {
  const value: unknown = JSON.parse(text);
  const validator = (fixtureValidator ??= Compile(ComparisonFixture));
  if (validator.Check(value)) return value as ComparisonFixture;
  const [error] = validator.Errors(value);
  throw new ContractError(where, `is not a comparison fixture: ${error?.instancePath || '/'} ${error?.message ?? 'does not match ComparisonFixture'}`);
}
