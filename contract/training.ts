import { Type, type Static } from 'typebox';
import { TenantField } from './tenant.ts';
import { ArchitectureSpec, architectureLabel, resolveArchitectureSpec } from './architectures.ts';
import { ContractError } from './errors.ts';

/**
 * Training jobs: the request, its resolved form (every default filled in, as recorded), per-epoch
 * metrics and the record the API returns. Same request + same backend → same weights.
 */

export const SgdOptimizer = Type.Object(
  {
    name: Type.Literal('sgd'),
    learningRate: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 10, description: 'Default 0.1' })),
    momentum: Type.Optional(Type.Number({ minimum: 0, maximum: 0.999, description: 'Default 0.9' })),
    nesterov: Type.Optional(Type.Boolean({ description: 'Default true: v ← μv + g, θ ← θ − lr·(g + μv) (PyTorch / tfjs form)' })),
  },
  { additionalProperties: false },
);
export const AdamOptimizer = Type.Object(
  {
    name: Type.Literal('adam'),
    learningRate: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 10, description: 'Default 0.001' })),
    beta1: Type.Optional(Type.Number({ minimum: 0, exclusiveMaximum: 1, description: 'Default 0.9' })),
    beta2: Type.Optional(Type.Number({ minimum: 0, exclusiveMaximum: 1, description: 'Default 0.999' })),
    epsilon: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'Default 1e-7 (Keras)' })),
  },
  { additionalProperties: false },
);
export const OptimizerSpec = Type.Union([SgdOptimizer, AdamOptimizer]);
export type OptimizerSpec = Static<typeof OptimizerSpec>;

export type ResolvedOptimizer =
  | { name: 'sgd'; learningRate: number; momentum: number; nesterov: boolean }
  | { name: 'adam'; learningRate: number; beta1: number; beta2: number; epsilon: number };

export const LearningRateSchedule = Type.Union(
  [
    Type.Object({ kind: Type.Literal('constant') }, { additionalProperties: false }),
    Type.Object(
      {
        kind: Type.Literal('step'),
        milestones: Type.Array(Type.Integer({ minimum: 1 }), { description: 'Epochs (0-based) at which the rate is multiplied by gamma' }),
        gamma: Type.Number({ exclusiveMinimum: 0, maximum: 1 }),
      },
      { additionalProperties: false },
    ),
    Type.Object(
      { kind: Type.Literal('cosine'), minLearningRate: Type.Optional(Type.Number({ minimum: 0, description: 'Default 0' })) },
      { additionalProperties: false },
    ),
  ],
  { description: 'Rate per epoch e of E: constant; step: lr·gamma^(#milestones ≤ e); cosine: min + (lr − min)(1 + cos(πe/E))/2' },
);
export type LearningRateSchedule = Static<typeof LearningRateSchedule>;

export const TrainingEngine = Type.Union([Type.Literal('onnxruntime'), Type.Literal('tfjs')], {
  description:
    'onnxruntime (default): gradients by reverse-mode autodiff of the exported ONNX graph on onnxruntime (per-sample or, for segmentation nets, per-pixel losses from logits), optimizers in TypeScript. ' +
    'tfjs: tfjs autodiff and optimizers (the path for layers the ONNX exporter lacks). Same request + same engine → same weights',
});
export type TrainingEngine = Static<typeof TrainingEngine>;

export const TrainingRequest = Type.Object(
  {
    architecture: Type.Optional(ArchitectureSpec),
    model: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'Id of a stored model to train further from its stored weights (fine-tuning; ONNX and tfjs uploads, zoo and trained models), instead of a new `architecture`. ' +
          'The registered result has the model\'s format and graph with the trained θ; `seed` then drives the shuffling only. ' +
          'The tfjs engine trains tfjs Layers models only. BN layers normalize with batch statistics and update their moving statistics with their own momentum',
      }),
    ),
    dataset: Type.Object(
      {
        id: Type.String({ minLength: 1 }),
        samples: Type.Optional(
          Type.Integer({
            minimum: 1,
            description:
              'Train on this many samples of the train split, chosen by sampleSeed as surfaces choose theirs (a seeded partial Fisher–Yates, kept in index order); ' +
              'the test split is always whole. Default: the whole train split. More than the split holds is a 400',
          }),
        ),
        sampleSeed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1, description: 'Seed of the train subset (default 0)' })),
      },
      { additionalProperties: false, description: 'Trained on its train split (or a seeded subset of it)' },
    ),
    epochs: Type.Integer({ minimum: 1, maximum: 500 }),
    batchSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 4096, description: 'Default 128; the last batch of an epoch may be short' })),
    optimizer: Type.Optional(OptimizerSpec),
    schedule: Type.Optional(LearningRateSchedule),
    warmupEpochs: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 500,
        description:
          'Linear warm-up (Goyal et al. 2017) over this many epochs (may be fractional, rounded to whole steps): step s of the W warm-up steps takes (s + 1)/W of the scheduled rate. ' +
          'Deep nets without it can lose their first epochs at a large rate. Must be below epochs. Default 0',
      }),
    ),
    weightDecay: Type.Optional(
      Type.Number({ minimum: 0, maximum: 1, description: 'Coupled L2: wd·θ added to the gradient of every trainable weight (PyTorch weight_decay). Default 0' }),
    ),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1, description: 'Seeds the initializers and the per-epoch shuffling. Default 0' })),
    checkpointEvery: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 500, description: 'Store θ every k epochs (and θ at epoch 0); 0 = none. Default 1' }),
    ),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Name of the registered model' })),
    engine: Type.Optional(TrainingEngine),
  },
  { additionalProperties: false },
);
export type TrainingRequest = Static<typeof TrainingRequest>;

/** The stored model a run starts from, as its record names it (its hash identifies the exact start weights). */
export interface TrainingBase {
  id: string;
  name: string;
  hash: string;
}

export interface ResolvedTrainingRequest {
  /** Every option filled in (unet: depth and skips too); null when the run starts from `model`. */
  architecture: (ArchitectureSpec & { width: number }) | null;
  /** The stored model trained further; absent for a new architecture (so recipes stored before the option compare equal). */
  model?: TrainingBase;
  /** samples null = the whole train split (records stored before the option lack both fields: read them as null and 0). */
  dataset: { id: string; samples: number | null; sampleSeed: number };
  epochs: number;
  batchSize: number;
  optimizer: ResolvedOptimizer;
  schedule: LearningRateSchedule;
  /** Records stored before the option lack it: read them as 0. */
  warmupEpochs: number;
  weightDecay: number;
  seed: number;
  checkpointEvery: number;
  name: string;
  engine: TrainingEngine;
}

/** Exactly one of `architecture` and `model` starts a run: else a ContractError naming `model` when it is given, `architectureField` when not. */
export function checkTrainingStart(request: Pick<TrainingRequest, 'architecture' | 'model'>, architectureField = 'architecture'): void {
  if ((request.architecture === undefined) === (request.model === undefined)) {
    throw new ContractError(request.model === undefined ? architectureField : 'model', 'give either architecture (a new network) or model (a stored one to train further), not both or neither');
  }
}

/**
 * Fill in every default (the resolved request is what records and provenance store). A request
 * naming `model` passes that model's record as `base`; exactly one of the two starts a run.
 */
export function resolveTrainingRequest(request: TrainingRequest, base: TrainingBase | null = null): ResolvedTrainingRequest {
  checkTrainingStart(request);
  if (request.model !== undefined && base?.id !== request.model) throw new Error(`the record of model ${request.model} must be passed to resolve its training`);
  const optimizer: ResolvedOptimizer =
    request.optimizer?.name === 'adam'
      ? {
          name: 'adam',
          learningRate: request.optimizer.learningRate ?? 0.001,
          beta1: request.optimizer.beta1 ?? 0.9,
          beta2: request.optimizer.beta2 ?? 0.999,
          epsilon: request.optimizer.epsilon ?? 1e-7,
        }
      : {
          name: 'sgd',
          learningRate: request.optimizer?.learningRate ?? 0.1,
          momentum: request.optimizer?.momentum ?? 0.9,
          nesterov: request.optimizer?.nesterov ?? true,
        };
  const schedule = request.schedule ?? { kind: 'constant' as const };
  if (schedule.kind === 'step' && schedule.milestones.some((m) => m >= request.epochs)) {
    throw new ContractError('schedule.milestones', `every milestone must be below epochs (${request.epochs})`);
  }
  if ((request.warmupEpochs ?? 0) >= request.epochs) {
    throw new ContractError('warmupEpochs', `must be below epochs (${request.epochs}), got ${request.warmupEpochs}`);
  }
  const architecture = request.architecture === undefined ? null : resolveArchitectureSpec(request.architecture);
  const engine = request.engine ?? 'onnxruntime';
  const seed = request.seed ?? 0;
  const start = architecture ? architectureLabel(architecture) : `${base!.name} trained further`;
  return {
    architecture,
    ...(architecture ? {} : { model: { id: base!.id, name: base!.name, hash: base!.hash } }),
    dataset: { id: request.dataset.id, samples: request.dataset.samples ?? null, sampleSeed: request.dataset.sampleSeed ?? 0 },
    epochs: request.epochs,
    batchSize: request.batchSize ?? 128,
    optimizer,
    schedule,
    warmupEpochs: request.warmupEpochs ?? 0,
    weightDecay: request.weightDecay ?? 0,
    seed,
    checkpointEvery: request.checkpointEvery ?? 1,
    name: request.name ?? `${start} on ${request.dataset.id} (seed ${seed})`,
    engine,
  };
}

export const EpochMetrics = Type.Object({
  epoch: Type.Integer({ minimum: 1, description: '1-based epoch just finished' }),
  learningRate: Type.Number({ description: 'The epoch’s scheduled rate; a warm-up step takes (s + 1)/W of it (warmupEpochs)' }),
  loss: Type.Number({ description: 'Mean training loss over the epoch’s batches in training mode (weight decay not included)' }),
  accuracy: Type.Union([Type.Number(), Type.Null()], {
    description: 'Training accuracy over the epoch, training mode; null on the onnxruntime engine (its gradient graph returns the loss, not the predictions)',
  }),
  testLoss: Type.Number({ description: 'Mean loss on the whole test split, BN in inference mode' }),
  testAccuracy: Type.Number(),
  seconds: Type.Number(),
});
export type EpochMetrics = Static<typeof EpochMetrics>;

export const CheckpointInfo = Type.Object({
  epoch: Type.Integer({ minimum: 0, description: '0 = the initial weights' }),
  hash: Type.String({ description: 'sha256 of the float32 LE parameter vector (parameter-model order, BN statistics included)' }),
  parameterCount: Type.Integer(),
});
export type CheckpointInfo = Static<typeof CheckpointInfo>;

export const TrainingStatus = Type.Union([
  Type.Literal('queued'), Type.Literal('running'), Type.Literal('completed'), Type.Literal('failed'), Type.Literal('cancelled'),
]);
export type TrainingStatus = Static<typeof TrainingStatus>;

export const TrainingRecord = Type.Object({
  id: Type.String(),
  status: TrainingStatus,
  request: Type.Unknown({ description: 'The resolved request (every default filled in)' }),
  progress: Type.Object({ epoch: Type.Integer(), epochs: Type.Integer() }),
  history: Type.Array(EpochMetrics),
  checkpoints: Type.Array(CheckpointInfo),
  modelId: Type.Union([Type.String(), Type.Null()], { description: 'The registered model once completed' }),
  backend: Type.Union([Type.String(), Type.Null()], { description: 'Engine that trained it, with its version (e.g. "onnxruntime-node 1.x autodiff, 1 thread" or "tfjs 4.22.0 wasm")' }),
  parameterCount: Type.Union([Type.Integer(), Type.Null()]),
  createdAt: Type.String(),
  startedAt: Type.Union([Type.String(), Type.Null()]),
  finishedAt: Type.Union([Type.String(), Type.Null()]),
  error: Type.Union([Type.Object({ code: Type.String(), message: Type.String() }), Type.Null()]),
  links: Type.Object({ self: Type.String(), events: Type.String(), model: Type.Union([Type.String(), Type.Null()]) }),
  ...TenantField,
});
export type TrainingRecord = Static<typeof TrainingRecord>;

/** What the training job returns and publishes in its `done` event: the final files by blob hash. */
export interface TrainingOutcome {
  files: Record<string, string>;
  history: EpochMetrics[];
  checkpoints: CheckpointInfo[];
  /** e.g. "onnxruntime 1.x autodiff (1 intra-op thread)" or "tfjs 4.22.0 wasm": same request + same backend → same weights. */
  backend: string;
  parameterCount: number;
  /** Whole splits, BN in inference mode (what surfaces see at θ*); finalTrain is the last epoch's when the train split is not measured. */
  finalTrain: { loss: number; accuracy: number };
  finalTest: { loss: number; accuracy: number };
  seconds: number;
}
