import { Type, type Static } from 'typebox';
import { TenantField } from './tenant.ts';
import { DatasetSelection, Split } from './datasets.ts';
import { CrossEntropyForm, LossName } from './losses.ts';

/** Limits a surface request is held to; documented in the OpenAPI schema. */
export const LIMITS = {
  maxAxisPoints: 401,
  maxGridPoints: 401 * 401,
  maxSamples: 50000,
  maxBatchSize: 4096,
};

export const Normalization = Type.Union(
  [
    Type.Literal('filter'),
    Type.Literal('layer'),
    Type.Literal('weight'),
    Type.Literal('dfilter'),
    Type.Literal('dlayer'),
    Type.Literal('none'),
  ],
  {
    description:
      'filter (default): each filter d_i ← d_i·‖θ_i‖/(‖d_i‖+1e-10); layer: d ← d·‖θ‖/‖d‖; weight: d ← d⊙θ; ' +
      'dfilter: unit-norm filters; dlayer: unit-norm tensors; none. Applies to tensors of rank ≥ 2.',
  },
);
export type Normalization = Static<typeof Normalization>;

export const DirectionOptions = Type.Object(
  {
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1, description: 'Seed of the Gaussian directions (default 0); y uses the stream after x' })),
    normalization: Type.Optional(Normalization),
    ignore: Type.Optional(
      Type.Union([Type.Literal('biasbn'), Type.Literal('none')], {
        description: 'biasbn (default): rank ≤ 1 tensors get a zero direction; none: their direction is a copy of θ',
      }),
    ),
    mode: Type.Optional(
      Type.Union([Type.Literal('weights'), Type.Literal('states')], {
        description: 'weights (default): trainable parameters only; states: BN moving mean/variance too',
      }),
    ),
  },
  { additionalProperties: false },
);
export type DirectionOptions = Static<typeof DirectionOptions>;
export type ResolvedDirectionOptions = Required<DirectionOptions>;

export const Axis = Type.Object(
  {
    min: Type.Number({ minimum: -1e6, maximum: 1e6 }),
    max: Type.Number({ minimum: -1e6, maximum: 1e6 }),
    num: Type.Integer({ minimum: 2, maximum: LIMITS.maxAxisPoints, description: 'Points on the axis, ends included (linspace)' }),
  },
  { additionalProperties: false },
);
export type Axis = Static<typeof Axis>;

export const Engine = Type.Union([Type.Literal('tfjs'), Type.Literal('onnx')]);
export type Engine = Static<typeof Engine>;

export const SurfaceRequest = Type.Object(
  {
    model: Type.String({ minLength: 1, description: 'Model id from GET /api/v1/models' }),
    dataset: DatasetSelection,
    directions: Type.Optional(DirectionOptions),
    grid: Type.Object(
      {
        x: Axis,
        y: Type.Optional(Axis),
      },
      { additionalProperties: false, description: 'x alone: a 1D line f(α) = L(θ*+αδ); x and y: a plane f(α,β) = L(θ*+αδ+βη)' },
    ),
    loss: Type.Optional(LossName),
    batchSize: Type.Optional(Type.Integer({ minimum: 1, maximum: LIMITS.maxBatchSize, description: 'Evaluation batch size (default 128); does not change the numbers' })),
    engine: Type.Optional(
      Type.Union([Type.Literal('tfjs'), Type.Literal('onnx')], {
        description:
          'Evaluation engine. Default (LA_ENGINE, onnx): onnxruntime, which evaluates tfjs Layers models through an exported ONNX graph, ' +
          'falling back to tfjs for layers the exporter does not cover. Both give the same numbers to 1e-5 relative.',
      }),
    ),
    name: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type SurfaceRequest = Static<typeof SurfaceRequest>;

export const SurfaceStatus = Type.Union([
  Type.Literal('queued'),
  Type.Literal('running'),
  Type.Literal('completed'),
  Type.Literal('failed'),
  Type.Literal('cancelled'),
]);
export type SurfaceStatus = Static<typeof SurfaceStatus>;

export const EngineInfo = Type.Object({
  name: Engine,
  backend: Type.String({ description: 'e.g. wasm, cpu, tensorflow, onnxruntime-cpu' }),
  version: Type.String(),
  crossEntropy: Type.Optional(CrossEntropyForm),
});
export type EngineInfo = Static<typeof EngineInfo>;

export const Provenance = Type.Object({
  model: Type.Object({ id: Type.String(), name: Type.String(), hash: Type.String(), parameterCount: Type.Integer() }),
  dataset: Type.Object({
    id: Type.String(),
    hash: Type.Union([Type.String(), Type.Null()]),
    split: Split,
    samples: Type.Integer(),
    sampleSeed: Type.Integer(),
    indicesHash: Type.Union([Type.String(), Type.Null()], { description: 'sha256 of the chosen sample indices (int32 LE)' }),
  }),
  directions: Type.Object({
    seed: Type.Integer(),
    normalization: Normalization,
    ignore: Type.String(),
    mode: Type.String(),
    hash: Type.Union([Type.String(), Type.Null()], { description: 'sha256 of the stored directions blob' }),
    cosine: Type.Union([Type.Number(), Type.Null()], { description: 'cos(δ, η); null for 1D' }),
    rng: Type.String({ description: 'Generator of the Gaussian entries' }),
  }),
  loss: LossName,
  batchSize: Type.Integer(),
  engine: Type.Union([EngineInfo, Type.Null()], { description: 'Engine and backend that evaluated the points' }),
  software: Type.Object({ lossAtlas: Type.String(), node: Type.String() }),
  imported: Type.Optional(
    Type.Object(
      { format: Type.String(), file: Type.String(), sha256: Type.String() },
      { description: 'Present on a read-only surface imported from a file (POST /api/v1/surfaces/import): not computed by Loss Atlas' },
    ),
  ),
});
export type Provenance = Static<typeof Provenance>;

export const Progress = Type.Object({
  done: Type.Integer({ minimum: 0, description: 'Grid points evaluated' }),
  total: Type.Integer({ minimum: 0 }),
});
export type Progress = Static<typeof Progress>;

export const Timings = Type.Object({
  createdAt: Type.String(),
  startedAt: Type.Union([Type.String(), Type.Null()]),
  finishedAt: Type.Union([Type.String(), Type.Null()]),
  secondsPerPoint: Type.Union([Type.Number(), Type.Null()], { description: 'Worker seconds per grid point (sum over chunks / points)' }),
});

export const SurfaceRecord = Type.Object({
  id: Type.String(),
  name: Type.Union([Type.String(), Type.Null()]),
  kind: Type.Union([Type.Literal('1d'), Type.Literal('2d')]),
  status: SurfaceStatus,
  progress: Progress,
  request: SurfaceRequest,
  provenance: Provenance,
  timings: Timings,
  error: Type.Union([Type.Object({ code: Type.String(), message: Type.String() }), Type.Null()]),
  ...TenantField,
});
export type SurfaceRecord = Static<typeof SurfaceRecord>;

const MaybeNumber = Type.Union([Type.Number(), Type.Null()]);

export const SurfaceResult = Type.Object({
  id: Type.String(),
  kind: Type.Union([Type.Literal('1d'), Type.Literal('2d')]),
  axes: Type.Object({
    x: Type.Array(Type.Number(), { description: 'α values, linspace(x.min, x.max, x.num)' }),
    y: Type.Union([Type.Array(Type.Number()), Type.Null()], { description: 'β values; null for 1D' }),
  }),
  shape: Type.Array(Type.Integer(), { description: '[ny, nx]; ny = 1 for 1D' }),
  loss: Type.Array(Type.Array(MaybeNumber), { description: 'loss[iy][ix] = L(θ* + x[ix]·δ + y[iy]·η); null where not finite' }),
  accuracy: Type.Union([Type.Array(Type.Array(MaybeNumber)), Type.Null()], { description: 'Same layout as loss, in [0, 1]; null for regression losses' }),
  nonFinite: Type.Array(
    Type.Object({ ix: Type.Integer(), iy: Type.Integer(), value: Type.Union([Type.Literal('NaN'), Type.Literal('Infinity'), Type.Literal('-Infinity')]) }),
    { description: 'Points whose loss is NaN or ±Inf: stored, flagged, drawn as holes' },
  ),
  provenance: Provenance,
});
export type SurfaceResult = Static<typeof SurfaceResult>;

/** A finished chunk: a run of points of one grid row. Values are numbers, null for non-finite. */
export const ChunkValues = Type.Object({
  index: Type.Integer(),
  iy: Type.Integer(),
  ix0: Type.Integer({ description: 'First column of the run' }),
  loss: Type.Array(MaybeNumber),
  accuracy: Type.Union([Type.Array(MaybeNumber), Type.Null()]),
  nonFinite: Type.Array(Type.Object({ ix: Type.Integer(), value: Type.String() })),
  seconds: Type.Number({ description: 'Worker wall time for the chunk' }),
  engine: EngineInfo,
});
export type ChunkValues = Static<typeof ChunkValues>;

export function linspace(axis: Axis): number[] {
  const step = (axis.max - axis.min) / (axis.num - 1);
  return Array.from({ length: axis.num }, (_, i) => (i === axis.num - 1 ? axis.max : axis.min + i * step));
}
