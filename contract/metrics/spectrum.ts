import { Type, type Static } from 'typebox';
import { EngineInfo } from '../surface.ts';
import { HessianParameters } from './hessian.ts';

/**
 * The Hessian spectrum at one point of a finished surface (PyHessian's three results), all on the
 * exact Hessian-vector products of the Hessian maps (contract/metrics/hessian.ts):
 * - top-k eigenvalues: restarted Lanczos on the top end (PyHessian's eigenvalues(top_n));
 * - trace: Hutchinson's estimator tr(H) ≈ mean of vᵀHv over Rademacher vectors v (PyHessian's trace);
 * - density: stochastic Lanczos quadrature (PyHessian's density): per Rademacher vector, `steps`
 *   Lanczos steps give nodes θ_i and weights w_i; the density is the average of Σ w_i·N(x; θ_i, σ²).
 * The point is θ* (default) or θ* + α·δ + β·η at a grid point (ix, iy) of the surface.
 */

export const SpectrumRequest = Type.Object(
  {
    point: Type.Optional(Type.Object(
      {
        ix: Type.Integer({ minimum: 0, description: 'Column in the surface grid: α = x[ix]' }),
        iy: Type.Optional(Type.Integer({ minimum: 0, description: 'Row in the surface grid: β = y[iy] (2D surfaces; default 0)' })),
      },
      { additionalProperties: false, description: 'The grid point θ* + α·δ + β·η; left out: θ* itself (α = β = 0, on the grid or not)' },
    )),
    samples: Type.Optional(Type.Integer({ minimum: 1, maximum: 50000, description: 'Evaluation samples (default: the surface\'s): the first `samples` of its selection' })),
    parameters: Type.Optional(HessianParameters),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1, description: 'Seed of every random vector (default 0): Lanczos start = seed, Hutchinson = seed + 1, SLQ = seed + 2' })),
    topK: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, description: 'How many of the largest eigenvalues (default 5)' })),
    tolerance: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 0.5, description: 'Top-k residual test: bound ≤ tolerance·|λ| (default 1e-3, PyHessian\'s tol)' })),
    maxSteps: Type.Optional(Type.Integer({ minimum: 2, maximum: 1000, description: 'Products for the top-k run at most (default 200)' })),
    traceSamples: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Rademacher vectors of the Hutchinson trace (default 20); one product each' })),
    densitySteps: Type.Optional(Type.Integer({ minimum: 2, maximum: 500, description: 'Lanczos steps per SLQ vector (default 100, PyHessian\'s iter)' })),
    densityVectors: Type.Optional(Type.Integer({ minimum: 1, maximum: 20, description: 'Rademacher vectors averaged by SLQ (default 1, PyHessian\'s n_v)' })),
    bins: Type.Optional(Type.Integer({ minimum: 2, maximum: 10000, description: 'Points of the density grid (default 1000)' })),
  },
  { additionalProperties: false },
);
export type SpectrumRequest = Static<typeof SpectrumRequest>;
export type ResolvedSpectrumRequest = Required<Omit<SpectrumRequest, 'point'>> & { point: { ix: number; iy: number } | null };

export const SPECTRUM_DEFAULTS = {
  parameters: 'weights', seed: 0, topK: 5, tolerance: 1e-3, maxSteps: 200, traceSamples: 20, densitySteps: 100, densityVectors: 1, bins: 1000,
} as const;

export function resolveSpectrumRequest(request: SpectrumRequest, surfaceSamples: number): ResolvedSpectrumRequest {
  return {
    point: request.point ? { ix: request.point.ix, iy: request.point.iy ?? 0 } : null,
    samples: Math.min(request.samples ?? surfaceSamples, surfaceSamples),
    parameters: request.parameters ?? SPECTRUM_DEFAULTS.parameters,
    seed: request.seed ?? SPECTRUM_DEFAULTS.seed,
    topK: request.topK ?? SPECTRUM_DEFAULTS.topK,
    tolerance: request.tolerance ?? SPECTRUM_DEFAULTS.tolerance,
    maxSteps: request.maxSteps ?? SPECTRUM_DEFAULTS.maxSteps,
    traceSamples: request.traceSamples ?? SPECTRUM_DEFAULTS.traceSamples,
    densitySteps: request.densitySteps ?? SPECTRUM_DEFAULTS.densitySteps,
    densityVectors: request.densityVectors ?? SPECTRUM_DEFAULTS.densityVectors,
    bins: request.bins ?? SPECTRUM_DEFAULTS.bins,
  };
}

export const SpectrumResult = Type.Object({
  surfaceId: Type.String(),
  computedOn: Type.Optional(Type.String({
    description: 'A spectrum at θ* computed on another surface of the same model and samples (a committed demo\'s fixture surfaces cannot compute one): that surface\'s id',
  })),
  point: Type.Object({
    ix: Type.Union([Type.Integer(), Type.Null()], { description: 'Grid column; null at θ*' }),
    iy: Type.Union([Type.Integer(), Type.Null()]),
    x: Type.Number({ description: 'α' }),
    y: Type.Number({ description: 'β (0 for θ* and 1D surfaces)' }),
  }),
  topEigenvalues: Type.Object({
    eigenvalues: Type.Array(Type.Number(), { description: 'The topK largest eigenvalues of H, descending' }),
    residuals: Type.Array(Type.Number(), { description: 'Residual bound of each: some eigenvalue lies within it' }),
    converged: Type.Boolean(),
    products: Type.Integer(),
    restarts: Type.Integer(),
  }),
  trace: Type.Object({
    trace: Type.Number({ description: 'Hutchinson: mean over Rademacher v of vᵀHv (unbiased for tr(H))' }),
    standardError: Type.Number({ description: 'sample standard deviation / √samples' }),
    products: Type.Integer(),
  }),
  density: Type.Object({
    grid: Type.Array(Type.Number(), { description: 'Evenly spaced eigenvalue axis' }),
    density: Type.Array(Type.Number(), { description: 'Estimated spectral density on the grid (integrates to 1): mean over vectors of Σ_i w_i·exp(−(x−θ_i)²/2σ²)/(σ√2π)' }),
    sigma: Type.Number({ description: 'Gaussian broadening σ = √1e-5 · (range of the nodes)' }),
    nodes: Type.Array(Type.Array(Type.Number()), { description: 'Per vector: Ritz values θ_i of its Lanczos tridiagonal (ascending)' }),
    weights: Type.Array(Type.Array(Type.Number()), { description: 'Per vector: w_i = squared first components of the Ritz vectors (sum to 1)' }),
    products: Type.Integer(),
  }),
  settings: Type.Object({
    samples: Type.Integer(), parameters: HessianParameters, seed: Type.Integer(), topK: Type.Integer(), tolerance: Type.Number(), maxSteps: Type.Integer(),
    traceSamples: Type.Integer(), densitySteps: Type.Integer(), densityVectors: Type.Integer(), bins: Type.Integer(),
    differentiated: Type.Integer({ description: 'Number of parameters the Hessian is taken over' }),
    products: Type.Literal('exact', { description: 'H·v by forward-over-reverse autodiff on onnxruntime; BN with its moving statistics; cross-entropy from logits' }),
    seeds: Type.Object({ topEigenvalues: Type.Integer(), trace: Type.Integer(), density: Type.Integer() }),
  }),
  engine: EngineInfo,
  seconds: Type.Number(),
});
export type SpectrumResult = Static<typeof SpectrumResult>;

/** One spectrum in GET /api/v1/surfaces/{id}/spectra: its result when completed, else its progress or error. */
export const SpectrumListItem = Type.Object({
  id: Type.String({ description: 'GET /api/v1/surfaces/{id}/spectrum/{spectrumId}' }),
  status: Type.Union([Type.Literal('completed'), Type.Literal('queued'), Type.Literal('running'), Type.Literal('failed')]),
  progress: Type.Union([Type.Object({ done: Type.Integer(), total: Type.Integer() }, { description: 'Hessian-vector products done and planned' }), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
  result: Type.Union([SpectrumResult, Type.Null()]),
});
export type SpectrumListItem = Static<typeof SpectrumListItem>;

/** A spectrum job on QUEUES.analysis (job name 'spectrum'). */
export interface SpectrumJobData {
  surfaceId: string;
  request: ResolvedSpectrumRequest;
}

/** Where a spectrum lives in Redis (JSON of SpectrumResult), next to its surface. */
export function spectrumKeys(namespace: string) {
  return {
    /** By job id (spectrumJobId): each point and settings keep their own spectrum. */
    result: (jobId: string) => `${namespace}:spectrum:${jobId}`,
    /** The id of the surface's latest requested spectrum. */
    latest: (surfaceId: string) => `${namespace}:surface:${surfaceId}:spectrum:latest`,
  };
}

/** Deterministic job id: the same surface, point and settings never run twice at once. */
export function spectrumJobId(surfaceId: string, r: ResolvedSpectrumRequest): string {
  const at = r.point ? `${r.point.ix}.${r.point.iy}` : 'center';
  return `spectrum-${surfaceId}-${at}-${r.samples}-${r.parameters}-${r.seed}-${r.topK}-${r.tolerance}-${r.maxSteps}-${r.traceSamples}-${r.densitySteps}-${r.densityVectors}-${r.bins}`;
}
