import type { DirectionsFacts, ParameterInfo, PlannedDirections, SurfacePlan } from '../../contract/index.ts';
import { storedParameters, type Artifacts } from '../artifacts.ts';
import type { ModelArtifact } from '../engine/evaluator.ts';
import { surfaceDirections } from '../numeric/directions.ts';
import { principalComponents, projectOntoPlane } from '../numeric/pca.ts';
import { GAUSSIAN_RNG } from '../numeric/rng.ts';

/** δ (and η) of a surface, with what the plan step records about them. */
export interface GeneratedDirections {
  x: Float32Array;
  y: Float32Array | null;
  rng: string;
  pca?: DirectionsFacts['pca'];
}

export interface DirectionKindInput {
  plan: SurfacePlan;
  /** The surface model and θ*, the point the directions start from. */
  model: ModelArtifact;
  theta: Float32Array;
  dimensions: 1 | 2;
  artifacts: Artifacts;
}

type Kind = 'random' | 'imported' | PlannedDirections['kind'];

/** One generator per kind of directions (the API resolves each in server/services/direction-kinds.ts). */
const GENERATORS: Record<Kind, (input: DirectionKindInput) => Promise<GeneratedDirections>> = {
  random: async ({ plan, model, theta, dimensions }) => ({ ...surfaceDirections(model.parameters, theta, plan.directions, dimensions), rng: GAUSSIAN_RNG }),
  imported: async ({ plan, theta, dimensions, artifacts }) => ({
    ...splitDirections(await artifacts.blob(plan.importedDirections!.hash), theta.length, dimensions),
    rng: plan.provenance.directions.rng,
  }),
  interpolation: async ({ plan, model, theta, artifacts }) => {
    const source = plan.directionSource as Extract<PlannedDirections, { kind: 'interpolation' }>;
    const to = storedParameters(await artifacts.model(source.to));
    return { x: difference(to, theta, model.parameters, source.mode), y: null, rng: `none: δ = θ(${source.to.id}) − θ*` };
  },
  models: async ({ plan, model, theta, artifacts }) => {
    const source = plan.directionSource as Extract<PlannedDirections, { kind: 'models' }>;
    const x = difference(storedParameters(await artifacts.model(source.x)), theta, model.parameters, source.mode);
    const y = difference(storedParameters(await artifacts.model(source.y)), theta, model.parameters, source.mode);
    return { x, y, rng: `none: δ = θ(${source.x.id}) − θ*, η = θ(${source.y.id}) − θ*` };
  },
  pca: async ({ plan, model, theta, artifacts }) => {
    const source = plan.directionSource as Extract<PlannedDirections, { kind: 'pca' }>;
    const rows: Float32Array[] = [];
    for (const checkpoint of source.checkpoints) {
      const bytes = await artifacts.blob(checkpoint.hash);
      const point = new Float32Array(bytes.slice().buffer);
      if (point.length !== theta.length) throw new Error(`checkpoint of epoch ${checkpoint.epoch} holds ${point.length} values, the model ${theta.length}`);
      rows.push(difference(point, theta, model.parameters, source.mode, source.ignore));
    }
    const pca = principalComponents(rows, 2);
    const [x, y] = pca.components as [Float32Array, Float32Array];
    const path = projectOntoPlane(rows, x, y);
    return {
      x,
      y,
      rng: 'none: principal components of θ_i − θ*',
      pca: {
        explainedVariance: pca.explainedVariance,
        explainedVarianceRatio: pca.explainedVarianceRatio,
        trajectory: { epochs: source.checkpoints.map((c) => c.epoch), ...path },
      },
    };
  },
};

export function generateDirections(input: DirectionKindInput): Promise<GeneratedDirections> {
  const kind: Kind = input.plan.importedDirections ? 'imported' : input.plan.directionSource?.kind ?? 'random';
  return GENERATORS[kind](input);
}

/**
 * to − from over the tensors a direction moves: mode weights leaves the non-trainable ones (BN
 * moving statistics) at 0, ignore biasbn the rank ≤ 1 ones (biases, BN γ/β).
 */
function difference(to: Float32Array, from: Float32Array, parameters: ParameterInfo[], mode: 'weights' | 'states', ignore: 'biasbn' | 'none' = 'none'): Float32Array {
  const out = new Float32Array(from.length);
  for (const p of parameters) {
    if (mode === 'weights' && !p.trainable) continue;
    if (ignore === 'biasbn' && p.shape.length <= 1) continue;
    for (let i = p.offset; i < p.offset + p.size; i++) out[i] = to[i]! - from[i]!;
  }
  return out;
}

/** Uploaded directions (δ then η, float32 LE, checked against the model by the API). */
function splitDirections(bytes: Uint8Array, parameterCount: number, dimensions: 1 | 2): { x: Float32Array; y: Float32Array | null } {
  const all = new Float32Array(bytes.slice().buffer);
  if (all.length !== dimensions * parameterCount) throw new Error(`the uploaded directions hold ${all.length} values, expected ${dimensions} × ${parameterCount}`);
  return { x: all.subarray(0, parameterCount), y: dimensions === 2 ? all.subarray(parameterCount) : null };
}
