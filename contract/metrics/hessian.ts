import { Type, type Static } from 'typebox';
import { EngineInfo } from '../surface.ts';

/**
 * The Hessian non-convexity map of a finished surface (Li et al. 2018, Fig. 7): at each point
 * θ = θ* + α·δ + β·η of a sub-grid, λmax and λmin of ∇²L(θ) over the differentiated parameters
 * (method.md, "Hessian"), from EXACT Hessian-vector products (forward-over-reverse autodiff of the
 * model's ONNX graph on onnxruntime, BN in inference mode, cross-entropy from logits): λmax by
 * restarted Lanczos on H, λmin by restarted Lanczos on H − s·I, s = 0.51·λmax (smallest Ritz
 * value, s added back).
 */

/** Products per Lanczos run at most, unless the request says otherwise (worker/hessian/lanczos.ts DEFAULT_MAX_STEPS). */
export const LANCZOS_MAX_STEPS = 200;

export const HessianParameters = Type.Union([Type.Literal('weights'), Type.Literal('trainable')], {
  description:
    'Parameters the Hessian is taken over: weights = trainable tensors of rank ≥ 2 (conv and linear weights, as the reference\'s min_max_hessian_eigs; default); ' +
    'trainable = every trainable tensor (biases and BN γ/β too). BN moving statistics never.',
});
export type HessianParameters = Static<typeof HessianParameters>;

export const HessianMapRequest = Type.Object(
  {
    points: Type.Optional(Type.Integer({
      minimum: 2, maximum: 21,
      description: 'Sub-grid points per axis (default 5), taken among the surface\'s own grid points: ix_k = round(k·(nx−1)/(m−1)), k = 0..m−1 (likewise iy)',
    })),
    maxSteps: Type.Optional(Type.Integer({
      minimum: 2, maximum: 1000,
      description: `Hessian-vector products per point at most (default ${LANCZOS_MAX_STEPS}; one Lanczos run keeps Ritz vectors at both ends for λmax and λmin); convergence is tested once the 20-vector basis is full (or at maxSteps if smaller)`,
    })),
    tolerance: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 0.5, description: 'A Ritz value θ has converged when its residual bound ≤ tolerance·|θ| (default 0.01, the reference\'s eigsh tol)' })),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1, description: 'Seed of the Lanczos start vectors (default 0)' })),
    samples: Type.Optional(Type.Integer({ minimum: 1, maximum: 50000, description: 'Evaluation samples (default: the surface\'s; fewer is cheaper). The first `samples` of the surface\'s selection.' })),
    parameters: Type.Optional(HessianParameters),
  },
  { additionalProperties: false },
);
export type HessianMapRequest = Static<typeof HessianMapRequest>;
export type ResolvedHessianMapRequest = Required<HessianMapRequest>;

export const HESSIAN_DEFAULTS = { points: 5, maxSteps: LANCZOS_MAX_STEPS, tolerance: 0.01, seed: 0, parameters: 'weights' } as const;

/** Every default filled in; samples is capped at the surface's own sample count. */
export function resolveHessianRequest(request: HessianMapRequest, surfaceSamples: number): ResolvedHessianMapRequest {
  return {
    points: request.points ?? HESSIAN_DEFAULTS.points,
    maxSteps: request.maxSteps ?? HESSIAN_DEFAULTS.maxSteps,
    tolerance: request.tolerance ?? HESSIAN_DEFAULTS.tolerance,
    seed: request.seed ?? HESSIAN_DEFAULTS.seed,
    samples: Math.min(request.samples ?? surfaceSamples, surfaceSamples),
    parameters: request.parameters ?? HESSIAN_DEFAULTS.parameters,
  };
}

export const HessianPoint = Type.Object({
  ix: Type.Integer({ description: 'Column of the point in the SURFACE grid' }),
  iy: Type.Integer({ description: 'Row of the point in the surface grid (0 for 1D)' }),
  x: Type.Number(),
  y: Type.Union([Type.Number(), Type.Null()]),
  lambdaMax: Type.Union([Type.Number(), Type.Null()], { description: 'Largest Hessian eigenvalue; null when the products were not finite (NaN/Inf at the point)' }),
  lambdaMin: Type.Union([Type.Number(), Type.Null()]),
  ratio: Type.Union([Type.Number(), Type.Null()], { description: 'λmin/λmax, signed; null when λmax = 0 or not finite' }),
  absRatio: Type.Union([Type.Number(), Type.Null()], { description: '|λmin/λmax|: near 0 = locally convex, large = strong negative curvature' }),
  products: Type.Integer({ description: 'Hessian-vector products used (both Lanczos runs)' }),
  converged: Type.Boolean({ description: 'Both ends (λmax, λmin) passed their residual test within maxSteps' }),
});
export type HessianPoint = Static<typeof HessianPoint>;

/** λmin counts as negative curvature when λmin < −NEGATIVE_CURVATURE_FLOOR·|λmax| (the Lanczos tolerance's order). */
export const NEGATIVE_CURVATURE_FLOOR = 0.01;

export const HessianSummary = Type.Object({
  points: Type.Integer({ description: 'Points with finite eigenvalues' }),
  meanAbsRatio: Type.Union([Type.Number(), Type.Null()], { description: 'mean |λmin/λmax| over the points that have a ratio' }),
  maxAbsRatio: Type.Union([Type.Number(), Type.Null()]),
  absRatioAtCenter: Type.Union([Type.Number(), Type.Null()], { description: '|λmin/λmax| at the sub-grid point nearest θ*' }),
  nonConvexShare: Type.Union([Type.Number(), Type.Null()], { description: `share of the points with a ratio whose λmin < −${NEGATIVE_CURVATURE_FLOOR}·|λmax|` }),
});
export type HessianSummary = Static<typeof HessianSummary>;

/** How the products and eigenvalues were computed (with `engine`, enough to reproduce a number). */
export const HessianSettings = Type.Object({
  points: Type.Integer(), maxSteps: Type.Integer(), tolerance: Type.Number(), seed: Type.Integer(), samples: Type.Integer(),
  parameters: HessianParameters,
  differentiated: Type.Integer({ description: 'Number of parameters the Hessian is taken over' }),
  products: Type.Literal('exact', { description: 'H·v by forward-over-reverse (Pearlmutter\'s R-operator) autodiff of the ONNX graph; BN with its moving statistics; cross-entropy from logits' }),
  batchSize: Type.Integer({ description: 'Rows per onnxruntime run (sums are exact whatever the batching)' }),
  threads: Type.Integer({ description: 'onnxruntime intra-op threads (per worker process)' }),
  workers: Type.Optional(Type.Integer({ minimum: 0, description: 'Worker processes whose points are in the map: its job and its helpers (LA_HESSIAN_HELPERS), a killed run\'s included; absent on maps computed before helpers' })),
  lanczos: Type.Object({
    basisSize: Type.Integer({ description: 'Krylov–Schur restart after this many basis vectors (ARPACK\'s ncv)' }),
    shiftFactor: Type.Number({ description: 's = shiftFactor·λmax; λmin converges when its residual ≤ tol·|λmin − s|, the reference\'s test on H − s·I' }),
    lambdaMin: Type.Union([
      Type.Literal('smallest Ritz value of the same run, tested against tol·|λmin − s|'),
      Type.Literal('smallest Ritz value of H − s·I, plus s'),
    ], { description: 'How λmin was found: one run for both ends (current), or a second run on the shifted operator (maps stored before both ends shared one run)' }),
  }),
});
export type HessianSettings = Static<typeof HessianSettings>;

/**
 * Maps computed before the exact engine (the committed demo until it is re-exported): central
 * differences of tfjs gradients of the clipped loss, ε = epsilonScale·‖θ‖/‖v‖, over every
 * trainable parameter. Served as stored; known to overstate λmax and miss λmin on ReLU networks
 * (issue 10). Nothing computes these any more.
 */
export const FiniteDifferenceHessianSettings = Type.Object({
  points: Type.Integer(), maxSteps: Type.Integer(), tolerance: Type.Number(), seed: Type.Integer(), samples: Type.Integer(),
  epsilonScale: Type.Number(), shiftFactor: Type.Number(),
}, { description: 'Legacy (finite-difference) map; see FiniteDifferenceHessianSettings in contract/metrics/hessian.ts' });

export const HessianMapResult = Type.Object({
  surfaceId: Type.String(),
  kind: Type.Union([Type.Literal('1d'), Type.Literal('2d')]),
  shape: Type.Array(Type.Integer(), { description: '[my, mx] of the sub-grid (my = 1 for 1D)' }),
  points: Type.Array(HessianPoint, { description: 'Row-major over the sub-grid' }),
  summary: HessianSummary,
  settings: Type.Union([HessianSettings, FiniteDifferenceHessianSettings]),
  engine: EngineInfo,
  seconds: Type.Number(),
});
export type HessianMapResult = Static<typeof HessianMapResult>;

/** The data of a 'hessian-map' job and of its 'hessian-map-helper' jobs (whose owner is hessianJobId(surfaceId, request)). */
export interface HessianJobData {
  surfaceId: string;
  request: ResolvedHessianMapRequest;
}

/** Where a Hessian map lives in Redis (JSON of HessianMapResult), next to its surface. */
export function hessianKeys(namespace: string) {
  return {
    result: (surfaceId: string) => `${namespace}:surface:${surfaceId}:hessian`,
    /** The id of the surface's latest requested job (its settings are in the id), for progress and failures; a run of another job stores no map. */
    job: (surfaceId: string) => `${namespace}:surface:${surfaceId}:hessian:job`,
    /** Finished points of one run (hash `${iy},${ix}` → HessianPoint JSON; jobId = hessianJobId), so a killed worker's rerun resumes. */
    points: (surfaceId: string, jobId: string) => `${namespace}:surface:${surfaceId}:hessian:points:${jobId}`,
    /**
     * Who computes which point of one run (hash `${iy},${ix}` → `<expiry ms> <worker>` while held,
     * `done <worker>` once stored; worker/hessian-map-state.ts); it exists from the run's first
     * claim until its map is stored, so helpers of a finished map find it gone.
     */
    claims: (surfaceId: string, jobId: string) => `${namespace}:surface:${surfaceId}:hessian:claims:${jobId}`,
  };
}

/** Deterministic job id: the same surface and settings never run twice at once. */
export function hessianJobId(surfaceId: string, r: ResolvedHessianMapRequest): string {
  return `hessian-${surfaceId}-${r.points}-${r.maxSteps}-${r.tolerance}-${r.seed}-${r.samples}-${r.parameters}`;
}

/**
 * Deterministic id of the k-th helper (1-based) of the map job `ownerJobId`: the owner's retry re-adds
 * its helpers as a no-op while they are queued or running. Not prefixed 'hessian-', which the API
 * reads as a map's own job.
 */
export function hessianHelperJobId(ownerJobId: string, k: number): string {
  return `helper-${k}-of-${ownerJobId}`;
}

/** m indices spread evenly over 0..n−1, ends included (m ≥ n gives every index). */
export function subgridIndices(n: number, m: number): number[] {
  if (n <= 1) return [0];
  const count = Math.min(m, n);
  return Array.from(new Set(Array.from({ length: count }, (_, k) => Math.round((k * (n - 1)) / (count - 1)))));
}

export function hessianSummary(points: HessianPoint[]): HessianSummary {
  const finite = points.filter((p) => p.lambdaMax !== null && p.lambdaMin !== null);
  const withRatio = finite.filter((p) => p.absRatio !== null);
  const ratios = withRatio.map((p) => p.absRatio!);
  const nearest = finite.reduce<HessianPoint | null>((best, p) => (!best || Math.hypot(p.x, p.y ?? 0) < Math.hypot(best.x, best.y ?? 0) ? p : best), null);
  const negative = withRatio.filter((p) => p.lambdaMin! < -NEGATIVE_CURVATURE_FLOOR * Math.abs(p.lambdaMax!)).length;
  return {
    points: finite.length,
    meanAbsRatio: ratios.length ? ratios.reduce((s, r) => s + r, 0) / ratios.length : null,
    maxAbsRatio: ratios.length ? Math.max(...ratios) : null,
    absRatioAtCenter: nearest?.absRatio ?? null,
    nonConvexShare: withRatio.length ? negative / withRatio.length : null,
  };
}
