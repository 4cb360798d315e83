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

/**
 * At most this many direction pairs in an ensemble. Each member is a whole surface (k× the points,
 * k queued surface jobs, counted so by the quotas): 16 keeps an ensemble of 16 plus a few other jobs
 * within the default job quota (LA_QUOTA_JOBS 20), and by then the quartiles rest on 4 members on
 * each side, while their sampling error only shrinks as 1/√k beyond it.
 */
export const MAX_ENSEMBLE_MEMBERS = 16;
/**
 * The stride between ensemble members' seeds: Knuth's multiplicative-hash constant 2654435761
 * reduced mod 2^31. Odd, so j ↦ seed_j is one-to-one; large, so ensembles of nearby request seeds
 * (0, 1, 2, …) share no member.
 */
export const ENSEMBLE_SEED_STRIDE = 506_952_113;
export const ENSEMBLE_SEED_RULE = `seed_j = (seed + j·${ENSEMBLE_SEED_STRIDE}) mod 2^31 for members j = 0 … k − 1 (member 0 has the request's seed)`;

/** The direction seed of ensemble member j (0-based) of a request whose directions seed is `seed`. */
export function ensembleMemberSeed(seed: number, j: number): number {
  // Exact in float64: seed < 2^31 and j·stride < 2^35.
  return (seed + j * ENSEMBLE_SEED_STRIDE) % 2 ** 31;
}

export const DirectionOptions = Type.Object(
  {
    kind: Type.Optional(Type.Literal('random', { description: 'random (default): seeded Gaussian directions, normalized' })),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1, description: 'Seed of the Gaussian directions (default 0); y uses the stream after x' })),
    ensemble: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_ENSEMBLE_MEMBERS,
        description:
          `k independent direction pairs (default 1: one surface). k ≥ 2: the same grid, samples and settings over k seeded pairs, one surface each, with ${ENSEMBLE_SEED_RULE}; ` +
          'POST /api/v1/surfaces then answers 202 with an ensemble (GET /api/v1/ensembles/{id}) whose statistics are the point-wise median, quartiles and min/max ' +
          `and every metric's median with its spread. At most ${MAX_ENSEMBLE_MEMBERS} (k surfaces: k× the grid's points and k jobs against the quotas).`,
      }),
    ),
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
  { additionalProperties: false, title: 'RandomDirections' },
);
export type DirectionOptions = Static<typeof DirectionOptions>;
export type ResolvedDirectionOptions = Required<Omit<DirectionOptions, 'kind' | 'ensemble'>>;

const DirectionMode = Type.Union([Type.Literal('weights'), Type.Literal('states')], {
  description: 'weights (default): the trainable tensors differ, BN moving mean/variance stay those of the surface model; states: every tensor',
});

export const InterpolationDirections = Type.Object(
  {
    kind: Type.Literal('interpolation'),
    to: Type.String({
      minLength: 1,
      description:
        'Model id of θ2 (same parameter structure as the surface model θ1): δ = θ2 − θ1, not normalized, so f(α) = L(θ1 + α·δ) = L((1 − α)·θ1 + α·θ2); ' +
        'α = 0 is θ1, α = 1 is θ2. 1D only; grid.x defaults to [−0.5, 1.5] with 41 points.',
    }),
    mode: Type.Optional(DirectionMode),
  },
  { additionalProperties: false, title: 'InterpolationDirections' },
);

export const ModelPlaneDirections = Type.Object(
  {
    kind: Type.Literal('models'),
    x: Type.String({ minLength: 1, description: 'Model id of θB: δ = θB − θA (θA = the surface model), not normalized' }),
    y: Type.String({ minLength: 1, description: 'Model id of θC: η = θC − θA; f(α, β) = L(θA + α·δ + β·η) is θA at (0, 0), θB at (1, 0), θC at (0, 1). 2D only' }),
    mode: Type.Optional(DirectionMode),
  },
  { additionalProperties: false, title: 'ModelPlaneDirections' },
);

export const PcaDirections = Type.Object(
  {
    kind: Type.Literal('pca'),
    training: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'Training id whose checkpoints θ_0 … θ_n make the trajectory (omit it with POST /api/v1/surfaces/with-checkpoints, which takes them uploaded)',
      }),
    ),
    ignore: Type.Optional(
      Type.Union([Type.Literal('biasbn'), Type.Literal('none')], { description: 'biasbn (default): rank ≤ 1 tensors (bias, BN γ/β) are left out of the PCA (their entries of θ_i − θ* are 0)' }),
    ),
    mode: Type.Optional(DirectionMode),
  },
  {
    additionalProperties: false,
    title: 'PcaDirections',
    description:
      'δ, η = the first two principal components of the rows d_i = θ_i − θ* (θ* = the surface model, the final weights; rows centred as sklearn.PCA does in the ' +
      "reference's setup_PCA_directions), unit vectors, computed from the n×n Gram matrix of the centred rows; explained variance ratio λ_k / Σλ in " +
      'provenance.directions.pca. The path (each checkpoint projected onto the plane) is result.trajectory. 3 to 400 checkpoints, at most 2^28 values in all.',
  },
);

/** Where δ and η come from: one schema per kind (worker/directions/kinds.ts generates each). */
export const SurfaceDirections = Type.Union([DirectionOptions, InterpolationDirections, ModelPlaneDirections, PcaDirections], {
  description: 'random (default), interpolation (θ1 → θ2), models (the plane through three models) or pca (a training trajectory)',
});
export type SurfaceDirections = Static<typeof SurfaceDirections>;
export type DirectionKind = NonNullable<SurfaceDirections['kind']>;

/** The random kind's options out of a request's directions (every kind but random leaves them at their defaults). */
export function randomDirectionOptions(directions: SurfaceDirections | undefined): DirectionOptions {
  return directions === undefined || directions.kind === undefined || directions.kind === 'random' ? directions ?? {} : {};
}

export const TrainTestSplit = Type.Union([Type.Literal('train'), Type.Literal('test')]);

export const BnRecalibration = Type.Object(
  {
    samples: Type.Optional(Type.Integer({ minimum: 2, maximum: LIMITS.maxSamples, description: 'Training samples the statistics are computed on (default 1000, clamped to the train split)' })),
    sampleSeed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1, description: 'Seed of their selection (default 0)' })),
    batchSize: Type.Optional(Type.Integer({ minimum: 2, maximum: LIMITS.maxBatchSize, description: 'Rows per forward pass (default: the request batchSize)' })),
  },
  {
    additionalProperties: false,
    description:
      'Recompute every BN layer’s running statistics at each grid point before evaluating it, as dnn-mode-connectivity’s update_bn: a forward pass in ' +
      'training mode (each BN normalizes with its batch’s statistics) over the chosen train samples in batches b_k, then moving mean = Σ_k (|b_k|/N)·mean_k ' +
      'and moving variance = Σ_k (|b_k|/N)·var_k, var_k the biased batch variance (PyTorch’s update_bn stores the unbiased one, larger by m/(m − 1) with ' +
      'm = batch rows × positions per channel: below 0.1% for batches of 128 and more). onnx engine only; the model must have BatchNormalization.',
  },
);
export type BnRecalibration = Static<typeof BnRecalibration>;

export const BOOTSTRAP_DEFAULTS = { resamples: 200, seed: 0 } as const;
/** resamples · samples per point at most: the bootstrap draws that many indices at every grid point. */
export const MAX_BOOTSTRAP_DRAWS = 2_000_000;

export const BootstrapOptions = Type.Object(
  {
    resamples: Type.Optional(Type.Integer({ minimum: 20, maximum: 2000, description: `B, the number of resamples (default ${BOOTSTRAP_DEFAULTS.resamples})` })),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1, description: `Seed of the resample indices (default ${BOOTSTRAP_DEFAULTS.seed})` })),
  },
  {
    additionalProperties: false,
    description:
      'Percentile bootstrap of every point\'s loss: B resamples of the N evaluation samples with replacement (indices from seedrandom alea seeded with ' +
      'the seed, the same resamples at every point), the mean per-sample loss of each; the result\'s lossBootstrap has their 2.5 and 97.5 percentiles ' +
      `(linear interpolation, numpy's default) and standard deviation. At most ${MAX_BOOTSTRAP_DRAWS} resamples · samples.`,
  },
);
export type BootstrapOptions = Static<typeof BootstrapOptions>;

export const ProgressiveOptions = Type.Object(
  {
    enabled: Type.Optional(
      Type.Boolean({
        description:
          'true (default): coarse to fine. Each axis of n points is bisected: level 0 is its ends and middle, round(k·(n − 1)/2) for k = 0, 1, 2; ' +
          'level j adds round(k·(n − 1)/2^(j+1)), k = 0 … 2^(j+1), not in an earlier level (round half up), until every index is in; a point is at the ' +
          'larger of its column\'s and its row\'s level (a 1D line refines x only). Levels are queued in order, each cut into chunks that every worker ' +
          'shares, so after level ℓ the points known form a coarse grid that holds the corners, edge midpoints and centre; the chunk events say ' +
          'which level their values belong to (provenance.progressive has the levels and their sizes). Every point is computed once, with the same ' +
          'numbers as row by row. false: row by row (one chunk per row; 16 segments of a 1D line).',
      }),
    ),
    previewSamples: Type.Optional(
      Type.Integer({
        minimum: 2,
        maximum: LIMITS.maxSamples,
        description:
          'A first pass over the points of levels 0 and 1 (at most 5×5) on this many of the surface\'s samples, before level 0 on all of them: the ' +
          'first previewSamples indices of the same seeded choice (the samples a request with dataset.samples = previewSamples evaluates), so a ' +
          'point costs about previewSamples/samples of a full one. Sent only as `preview` events (SSE), flagged with their sample count; never ' +
          'stored, counted in progress or part of the result, and replaced by the full-sample values as they land. Fewer than dataset.samples; ' +
          'needs enabled. Default: none.',
      }),
    ),
  },
  { additionalProperties: false, description: 'Progressive refinement: the order in which the grid points are computed; it never changes their values' },
);
export type ProgressiveOptions = Static<typeof ProgressiveOptions>;

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
    directions: Type.Optional(SurfaceDirections),
    grid: Type.Object(
      {
        x: Type.Optional(Axis),
        y: Type.Optional(Axis),
      },
      {
        additionalProperties: false,
        description: 'x alone: a 1D line f(α) = L(θ*+αδ); x and y: a plane f(α,β) = L(θ*+αδ+βη). x may be omitted for an interpolation (default −0.5 … 1.5, 41 points)',
      },
    ),
    splits: Type.Optional(
      Type.Array(TrainTestSplit, {
        minItems: 2,
        maxItems: 2,
        uniqueItems: true,
        description:
          '1D only: evaluate every α on each listed split (dataset.samples of each, same sample seed), side by side as the paper plots interpolations; ' +
          'result.splits holds both, loss/accuracy are the first listed; dataset.split is then not used',
      }),
    ),
    bnRecalibration: Type.Optional(BnRecalibration),
    loss: Type.Optional(LossName),
    bootstrap: Type.Optional(BootstrapOptions),
    progressive: Type.Optional(ProgressiveOptions),
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
    kind: Type.Optional(Type.String({ description: 'interpolation, models or pca (absent: random)' })),
    models: Type.Optional(
      Type.Array(Type.Object({ axis: Type.String(), id: Type.String(), hash: Type.String() }), { description: 'interpolation / models: the models δ (axis x) and η (axis y) end at' }),
    ),
    pca: Type.Optional(
      Type.Object({
        source: Type.String({ description: 'training <id>, or the uploaded file and its sha256' }),
        epochs: Type.Array(Type.Integer(), { description: 'Epoch of each checkpoint θ_i, in order' }),
        explainedVarianceRatio: Type.Array(Type.Number(), { description: 'λ_k / Σ_j λ_j of PC1 and PC2 (λ = eigenvalues of the centred Gram matrix)' }),
        explainedVariance: Type.Array(Type.Number(), { description: 'λ_k / (n − 1), sklearn’s explained_variance_' }),
      }),
    ),
  }),
  splits: Type.Optional(Type.Array(Type.Object({ split: TrainTestSplit, samples: Type.Integer() }), { description: 'request.splits: each split and its sample count' })),
  bnRecalibration: Type.Optional(
    Type.Object({
      split: Type.Literal('train'),
      samples: Type.Integer(),
      sampleSeed: Type.Integer(),
      batchSize: Type.Integer(),
      variance: Type.Literal('biased', { description: 'Batch variances as averaged: biased (Σ (x − mean)² / m)' }),
      layers: Type.Integer({ description: 'BN layers recalibrated' }),
    }, { description: 'Present when BN statistics were recomputed at each point (request.bnRecalibration)' }),
  ),
  progressive: Type.Optional(
    Type.Union(
      [
        Type.Object({
          levels: Type.Integer({ description: 'Number of refinement levels (SurfaceRequest.progressive.enabled)' }),
          levelPoints: Type.Array(Type.Integer(), { description: 'Grid points in each level, level 0 first; they sum to the grid' }),
          previewSamples: Type.Union([Type.Integer(), Type.Null()], { description: 'Samples of the first pass over levels 0 and 1 (preview events only); null: none' }),
        }),
        Type.Null(),
      ],
      { description: 'How the points were ordered: coarse to fine (request.progressive), or null: row by row. Absent on surfaces computed before either existed (row by row)' },
    ),
  ),
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

export const Trajectory = Type.Object(
  {
    epochs: Type.Array(Type.Integer(), { description: 'Epoch of each checkpoint, in order' }),
    cos: Type.Array(Type.Tuple([Type.Number(), Type.Number()]), {
      description: "(d_i·δ/‖δ‖, d_i·η/‖η‖) with d_i = θ_i − θ*: the reference's project_trajectory proj_method cos",
    }),
    leastSquares: Type.Array(Type.Tuple([Type.Number(), Type.Number()]), { description: '(a, b) minimizing ‖d_i − a·δ − b·η‖: proj_method lstsq' }),
  },
  { description: 'A PCA surface: the training path projected onto its plane (same α, β units as the grid, since δ and η are unit vectors)' },
);
export type Trajectory = Static<typeof Trajectory>;

/** The sampling error of a point's loss, stated once for the result, the chunk events and the exports. */
export const LOSS_STD_ERROR_FORMULA =
  'Standard error of the mean loss over the N evaluation samples: sqrt(s² / N) with s² = Σ (ℓ_i − L)² / (N − 1), the unbiased variance of the ' +
  'per-sample losses ℓ_i (a segmentation sample\'s ℓ_i is its mean over pixels), from Σ ℓ_i and Σ ℓ_i² in float64; ' +
  'null where N < 2 or the loss is not finite. It measures how much L would move with another draw of N samples, not the model\'s uncertainty.';

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
  lossStdError: Type.Optional(
    Type.Array(Type.Array(MaybeNumber), {
      description: `lossStdError[iy][ix], same layout as loss. ${LOSS_STD_ERROR_FORMULA} Absent on surfaces imported from files or computed before it was recorded.`,
    }),
  ),
  lossBootstrap: Type.Optional(
    Type.Object(
      {
        resamples: Type.Integer(),
        seed: Type.Integer(),
        low: Type.Array(Type.Array(MaybeNumber), { description: '2.5th percentile of the resampled mean losses, [iy][ix]' }),
        high: Type.Array(Type.Array(MaybeNumber), { description: '97.5th percentile, [iy][ix]' }),
        stdError: Type.Array(Type.Array(MaybeNumber), { description: 'Standard deviation of the resampled means (n − 1), [iy][ix]: the bootstrap standard error' }),
      },
      { description: 'Present when the request asked for a bootstrap (SurfaceRequest.bootstrap); null entries where the loss is not finite' },
    ),
  ),
  nonFinite: Type.Array(
    Type.Object({ ix: Type.Integer(), iy: Type.Integer(), value: Type.Union([Type.Literal('NaN'), Type.Literal('Infinity'), Type.Literal('-Infinity')]) }),
    { description: 'Points whose loss is NaN or ±Inf: stored, flagged, drawn as holes' },
  ),
  splits: Type.Optional(
    Type.Array(
      Type.Object({
        split: TrainTestSplit,
        loss: Type.Array(MaybeNumber),
        accuracy: Type.Union([Type.Array(MaybeNumber), Type.Null()]),
        lossStdError: Type.Optional(Type.Array(MaybeNumber, { description: LOSS_STD_ERROR_FORMULA })),
      }),
      { description: 'request.splits: f(α) on each split, same layout as loss[0] and accuracy[0]' },
    ),
  ),
  trajectory: Type.Optional(Trajectory),
  provenance: Provenance,
});
export type SurfaceResult = Static<typeof SurfaceResult>;

const chunkFields = {
  index: Type.Integer({ description: 'The chunk job\'s position in the queue order' }),
  iy: Type.Integer(),
  ix: Type.Array(Type.Integer(), { description: 'Columns of the values, ascending: loss[k] is at (ix[k], iy)' }),
  level: Type.Integer({ description: 'Refinement level of every value of the chunk (provenance.progressive); 0 for a surface computed row by row' }),
  loss: Type.Array(MaybeNumber),
  accuracy: Type.Union([Type.Array(MaybeNumber), Type.Null()]),
  lossStdError: Type.Optional(Type.Array(MaybeNumber, { description: `Per value, in the order of ix. ${LOSS_STD_ERROR_FORMULA}` })),
  lossBootstrap: Type.Optional(
    Type.Object(
      { low: Type.Array(MaybeNumber), high: Type.Array(MaybeNumber), stdError: Type.Array(MaybeNumber) },
      { description: 'Per value, in the order of ix, when the request asked for a bootstrap (SurfaceResult.lossBootstrap); never in preview events' },
    ),
  ),
  nonFinite: Type.Array(Type.Object({ ix: Type.Integer(), value: Type.String() })),
  seconds: Type.Number({ description: 'Worker wall time for the chunk' }),
  engine: EngineInfo,
};

/** A finished chunk: points of one grid row. Values are numbers, null for non-finite. */
export const ChunkValues = Type.Object(chunkFields, { description: 'SSE event chunk: values of the surface, as in its result' });
export type ChunkValues = Static<typeof ChunkValues>;

/** A chunk of the first pass on a subset of the samples (request.progressive.previewSamples). */
export const PreviewValues = Type.Object(
  { ...chunkFields, samples: Type.Integer({ description: 'Samples these values were computed on (request.progressive.previewSamples), fewer than the surface\'s' }) },
  { description: 'SSE event preview: values on a subset of the samples, never part of the result; the chunk event of the same points replaces them' },
);
export type PreviewValues = Static<typeof PreviewValues>;

/** α of an interpolation whose request names no grid.x: the paper's batch-size figure, −0.5 … 1.5. */
export const DEFAULT_INTERPOLATION_AXIS: Axis = { min: -0.5, max: 1.5, num: 41 };

/** A request's axes with grid.x's default filled in (only an interpolation may omit it; the API refuses others). */
export function requestAxes(request: Pick<SurfaceRequest, 'grid'>): { x: Axis; y: Axis | null } {
  return { x: request.grid.x ?? DEFAULT_INTERPOLATION_AXIS, y: request.grid.y ?? null };
}

export function linspace(axis: Axis): number[] {
  const step = (axis.max - axis.min) / (axis.num - 1);
  return Array.from({ length: axis.num }, (_, i) => (i === axis.num - 1 ? axis.max : axis.min + i * step));
}
