import { modelRef, type ModelRecord, type PlannedDirections, type Provenance, type SurfaceDirections, type DirectionKind } from '../../contract/index.ts';
import type { TrainingRecord } from '../../contract/training.ts';
import { badRequest, HttpError, notFound } from '../errors.ts';

/** Checkpoints θ_i as stored blobs (float32 LE, parameter-model order), with where they came from. */
export interface CheckpointSet {
  checkpoints: { epoch: number; hash: string; parameterCount: number }[];
  source: string;
}

export interface DirectionKindContext {
  /** The surface model: θ1 of an interpolation, θA of a plane through models, θ* (the final weights) of a PCA. */
  model: ModelRecord;
  /** Another model the requester may read (else a 404 naming `field`). */
  readableModel(id: string, field: string): ModelRecord;
  dimensions: 1 | 2;
  /** A training the requester may read. */
  training(id: string): Promise<TrainingRecord>;
  /** POST /surfaces/with-checkpoints: the uploaded trajectory. */
  uploadedCheckpoints?: CheckpointSet;
}

/** What a kind adds to the plan and to provenance.directions (the random kind's fields get neutral values). */
export interface ResolvedDirectionKind {
  planned: PlannedDirections;
  provenance: Pick<Provenance['directions'], 'kind' | 'models' | 'pca' | 'ignore' | 'mode' | 'normalization'>;
}

interface DirectionKindStrategy<D> {
  /** The grid dimensions the kind spans: an interpolation is a line, a plane through models or a PCA plane is 2D. */
  dimensions: 1 | 2;
  resolve(directions: D, ctx: DirectionKindContext): Promise<ResolvedDirectionKind>;
}

type KindOf<K extends DirectionKind> = Extract<SurfaceDirections, { kind: K }>;
type NonRandomKind = Exclude<DirectionKind, 'random'>;

/** Fewest checkpoints whose centred differences span two principal components. */
const MIN_PCA_CHECKPOINTS = 3;
/** The Gram matrix's Jacobi solver is quick up to a few hundred rows. */
export const MAX_PCA_CHECKPOINTS = 400;
/** Checkpoint values a worker holds at once (float32): 1 GiB. */
const MAX_PCA_VALUES = 2 ** 28;

/**
 * The other model of a difference direction, with the same parameter structure as the surface's
 * model (format, tensor count, each tensor's shape by position: tfjs names layers per process, so
 * names may differ); else 400 STRUCTURE_MISMATCH naming the first tensor that differs.
 */
function sameStructureModel(ctx: DirectionKindContext, id: string, field: string): ModelRecord {
  const other = ctx.readableModel(id, field);
  const base = ctx.model;
  const mismatch = (detail: string) =>
    new HttpError(400, 'STRUCTURE_MISMATCH', `model "${other.id}" does not have the parameter structure of model "${base.id}": ${detail}`, field);
  if (other.format !== base.format) throw mismatch(`it is a ${other.format} model, "${base.id}" a ${base.format} model`);
  const count = Math.max(base.parameters.length, other.parameters.length);
  const shape = (p: ModelRecord['parameters'][number] | undefined) => (p ? `"${p.name}" [${p.shape.join(', ')}]` : 'no tensor');
  for (let i = 0; i < count; i++) {
    const a = base.parameters[i];
    const b = other.parameters[i];
    if (!a || !b || a.shape.length !== b.shape.length || a.shape.some((d, k) => d !== b.shape[k])) {
      throw mismatch(`tensor ${i} is ${shape(a)} in "${base.id}" and ${shape(b)} in "${other.id}"`);
    }
  }
  return other;
}

/** Provenance of a difference direction: taken as it is (no normalization, no tensor left out). */
const differenceProvenance = (mode: 'weights' | 'states') => ({ normalization: 'none' as const, ignore: 'none', mode });

async function trainingCheckpoints(id: string, ctx: DirectionKindContext): Promise<CheckpointSet> {
  const training = await ctx.training(id).catch((err: unknown) => {
    throw err instanceof HttpError && err.statusCode === 404 ? notFound('training', id, 'directions.training') : err;
  });
  if (training.status !== 'completed') {
    throw badRequest('TRAINING_NOT_FINISHED', `training "${id}" is ${training.status}; its trajectory is complete once it has completed`, 'directions.training');
  }
  return { checkpoints: training.checkpoints, source: `training ${id}` };
}

/** One strategy per non-random kind (random is the default path of the plan). */
const DIRECTION_KINDS: { [K in NonRandomKind]: DirectionKindStrategy<KindOf<K>> } = {
  interpolation: {
    dimensions: 1,
    async resolve(directions, ctx) {
      const to = sameStructureModel(ctx, directions.to, 'directions.to');
      const mode = directions.mode ?? 'weights';
      return {
        planned: { kind: 'interpolation', to: modelRef(to), mode },
        provenance: { kind: 'interpolation', models: [{ axis: 'x', id: to.id, hash: to.hash }], ...differenceProvenance(mode) },
      };
    },
  },
  models: {
    dimensions: 2,
    async resolve(directions, ctx) {
      const x = sameStructureModel(ctx, directions.x, 'directions.x');
      const y = sameStructureModel(ctx, directions.y, 'directions.y');
      const mode = directions.mode ?? 'weights';
      return {
        planned: { kind: 'models', x: modelRef(x), y: modelRef(y), mode },
        provenance: { kind: 'models', models: [{ axis: 'x', id: x.id, hash: x.hash }, { axis: 'y', id: y.id, hash: y.hash }], ...differenceProvenance(mode) },
      };
    },
  },
  pca: {
    dimensions: 2,
    async resolve(directions, ctx) {
      const field = directions.training ? 'directions.training' : 'checkpoints';
      let set: CheckpointSet;
      if (directions.training) set = await trainingCheckpoints(directions.training, ctx);
      else if (ctx.uploadedCheckpoints) set = ctx.uploadedCheckpoints;
      else throw badRequest('CHECKPOINTS_MISSING', 'directions.training names no training: name one, or upload the checkpoints with POST /api/v1/surfaces/with-checkpoints', 'directions.training');
      if (set.checkpoints.length < MIN_PCA_CHECKPOINTS) {
        throw badRequest('TOO_FEW_CHECKPOINTS', `${set.source} has ${set.checkpoints.length} checkpoints; two principal components need at least ${MIN_PCA_CHECKPOINTS}`, field);
      }
      if (set.checkpoints.length > MAX_PCA_CHECKPOINTS) {
        throw badRequest('TOO_MANY_CHECKPOINTS', `${set.source} has ${set.checkpoints.length} checkpoints; at most ${MAX_PCA_CHECKPOINTS} make a trajectory`, field);
      }
      if (set.checkpoints.length * ctx.model.parameterCount > MAX_PCA_VALUES) {
        throw badRequest('TOO_MANY_CHECKPOINTS', `${set.checkpoints.length} checkpoints of ${ctx.model.parameterCount} parameters exceed ${MAX_PCA_VALUES} values: keep fewer epochs`, field);
      }
      const wrong = set.checkpoints.find((c) => c.parameterCount !== ctx.model.parameterCount);
      if (wrong) {
        throw new HttpError(400, 'STRUCTURE_MISMATCH', `checkpoint of epoch ${wrong.epoch} of ${set.source} has ${wrong.parameterCount} parameters, model "${ctx.model.id}" ${ctx.model.parameterCount}`, field);
      }
      const ignore = directions.ignore ?? 'biasbn';
      const mode = directions.mode ?? 'weights';
      const epochs = set.checkpoints.map((c) => c.epoch);
      return {
        planned: { kind: 'pca', checkpoints: set.checkpoints.map(({ epoch, hash }) => ({ epoch, hash })), ignore, mode },
        provenance: { kind: 'pca', normalization: 'none', ignore, mode, pca: { source: set.source, epochs, explainedVarianceRatio: [], explainedVariance: [] } },
      };
    },
  },
};

/** The plan and provenance of a request's non-random directions; null for the random kind. 400 naming the field where they do not fit. */
export async function resolveDirectionKind(directions: SurfaceDirections | undefined, ctx: DirectionKindContext): Promise<ResolvedDirectionKind | null> {
  if (!directions?.kind || directions.kind === 'random') {
    if (ctx.uploadedCheckpoints) throw badRequest('KIND_MISMATCH', 'uploaded checkpoints make PCA directions: set directions.kind to "pca"', 'request.directions.kind');
    return null;
  }
  const strategy = DIRECTION_KINDS[directions.kind] as DirectionKindStrategy<SurfaceDirections>;
  if (strategy.dimensions !== ctx.dimensions) {
    throw badRequest(
      'DIMENSIONS_MISMATCH',
      strategy.dimensions === 1 ? `directions of kind ${directions.kind} make a 1D line: leave out grid.y` : `directions of kind ${directions.kind} make a plane: set grid.y`,
      'grid.y',
    );
  }
  return strategy.resolve(directions, ctx);
}
