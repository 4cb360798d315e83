import { Type, type Static } from 'typebox';
import { ArchitectureSpec } from './architectures.ts';
import { DatasetSelection } from './datasets.ts';
import { LossName } from './losses.ts';
import { SurfaceMetrics } from './metrics/surface-metrics.ts';
import { HessianSummary } from './metrics/hessian.ts';
import { GradientFlow } from './metrics/gradient-flow.ts';
import { Axis, DirectionOptions, SurfaceResult } from './surface.ts';
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
      },
      { additionalProperties: false, description: 'Identical for every member: samples, grid, direction seed and normalization' },
    ),
    training: Type.Optional(MemberTraining),
  },
  { additionalProperties: false },
);
export type ComparisonRequest = Static<typeof ComparisonRequest>;

export const MemberStatus = Type.Union([
  Type.Literal('pending'), Type.Literal('training'), Type.Literal('mapping'), Type.Literal('completed'), Type.Literal('failed'),
]);
export type MemberStatus = Static<typeof MemberStatus>;

export const ComparisonMemberState = Type.Object({
  label: Type.String(),
  architecture: Type.Union([Type.Object({ id: Type.String(), width: Type.Number() }), Type.Null()]),
  status: MemberStatus,
  trainingId: Type.Union([Type.String(), Type.Null()], { description: 'The training run, when the member had no weights yet' }),
  modelId: Type.Union([Type.String(), Type.Null()]),
  surfaceId: Type.Union([Type.String(), Type.Null()]),
  surface: Type.Union([SurfaceResult, Type.Null()], { description: 'The finished surface' }),
  metrics: Type.Union([SurfaceMetrics, Type.Null()]),
  hessian: Type.Optional(Type.Union([HessianSummary, Type.Null()], { description: 'Full-Hessian map summary of the member’s surface, when computed' })),
  gradientFlow: Type.Optional(Type.Array(GradientFlow, { description: 'Per-layer gradient norms, e.g. at initialisation and trained, when computed' })),
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
  links: Type.Object({ self: Type.String() }),
});
export type ComparisonRecord = Static<typeof ComparisonRecord>;
