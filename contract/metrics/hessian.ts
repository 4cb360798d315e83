import { Type, type Static } from 'typebox';
import { EngineInfo } from '../surface.ts';

/**
 * The full-parameter Hessian non-convexity map of a finished surface (Li et al. 2018, Fig. 7):
 * at each point θ = θ* + α·δ + β·η of a sub-grid, λmax and λmin of ∇²L(θ) over the trainable
 * parameters, from Hessian-vector products Hv ≈ (∇L(θ+εv) − ∇L(θ−εv))/(2ε), ε = 1e-3·‖θ‖/‖v‖
 * (first-order tfjs gradients only), λmax by Lanczos, λmin by Lanczos on H − s·I, s = 0.51·λmax.
 */

export const HessianMapRequest = Type.Object(
  {
    points: Type.Optional(Type.Integer({
      minimum: 2, maximum: 21,
      description: 'Sub-grid points per axis (default 5), taken among the surface\'s own grid points: ix_k = round(k·(nx−1)/(m−1)), k = 0..m−1 (likewise iy)',
    })),
    maxSteps: Type.Optional(Type.Integer({ minimum: 2, maximum: 100, description: 'Lanczos steps per run (default 20); each step costs two gradient passes' })),
    tolerance: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 0.5, description: 'Lanczos stops when the Ritz residual ≤ tolerance·max|Ritz value| (default 0.01, the reference\'s eigsh tol)' })),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1, description: 'Seed of the Lanczos start vectors (default 0)' })),
    samples: Type.Optional(Type.Integer({ minimum: 1, maximum: 50000, description: 'Evaluation samples (default: the surface\'s; fewer is cheaper). The first `samples` of the surface\'s selection.' })),
  },
  { additionalProperties: false },
);
export type HessianMapRequest = Static<typeof HessianMapRequest>;
export type ResolvedHessianMapRequest = Required<HessianMapRequest>;

export const HESSIAN_DEFAULTS = { points: 5, maxSteps: 20, tolerance: 0.01, seed: 0 } as const;

/** Every default filled in; samples is capped at the surface's own sample count. */
export function resolveHessianRequest(request: HessianMapRequest, surfaceSamples: number): ResolvedHessianMapRequest {
  return {
    points: request.points ?? HESSIAN_DEFAULTS.points,
    maxSteps: request.maxSteps ?? HESSIAN_DEFAULTS.maxSteps,
    tolerance: request.tolerance ?? HESSIAN_DEFAULTS.tolerance,
    seed: request.seed ?? HESSIAN_DEFAULTS.seed,
    samples: Math.min(request.samples ?? surfaceSamples, surfaceSamples),
  };
}

export const HessianPoint = Type.Object({
  ix: Type.Integer({ description: 'Column of the point in the SURFACE grid' }),
  iy: Type.Integer({ description: 'Row of the point in the surface grid (0 for 1D)' }),
  x: Type.Number(),
  y: Type.Union([Type.Number(), Type.Null()]),
  lambdaMax: Type.Union([Type.Number(), Type.Null()], { description: 'Largest Hessian eigenvalue; null when the gradients were not finite' }),
  lambdaMin: Type.Union([Type.Number(), Type.Null()]),
  ratio: Type.Union([Type.Number(), Type.Null()], { description: 'λmin/λmax, signed' }),
  absRatio: Type.Union([Type.Number(), Type.Null()], { description: '|λmin/λmax|: near 0 = locally convex, large = strong negative curvature' }),
  products: Type.Integer({ description: 'Hessian-vector products used' }),
  converged: Type.Boolean(),
});
export type HessianPoint = Static<typeof HessianPoint>;

/** λmin counts as negative curvature when λmin < −NEGATIVE_CURVATURE_FLOOR·|λmax| (above the finite-difference noise). */
export const NEGATIVE_CURVATURE_FLOOR = 0.01;

/**
 * A point whose λmax is at most FLAT_FLOOR times the map's largest λmax sits on a plateau, e.g.
 * where every sample's probabilities are clipped (losses.ts) and the gradient is exactly 0: its
 * λmin/λmax is 0/0 up to finite-difference noise, so the ratios leave it out.
 */
export const FLAT_FLOOR = 1e-4;

export const HessianSummary = Type.Object({
  points: Type.Integer({ description: 'Points with finite eigenvalues' }),
  flatPoints: Type.Integer({ description: `Of those, plateau points: λmax ≤ ${FLAT_FLOOR}·(largest λmax of the map); left out of the ratios below` }),
  meanAbsRatio: Type.Union([Type.Number(), Type.Null()], { description: 'mean |λmin/λmax| over the curved (non-plateau) points' }),
  maxAbsRatio: Type.Union([Type.Number(), Type.Null()]),
  absRatioAtCenter: Type.Union([Type.Number(), Type.Null()], { description: '|λmin/λmax| at the sub-grid point nearest θ* (null if it is a plateau point)' }),
  nonConvexShare: Type.Union([Type.Number(), Type.Null()], { description: `share of the curved points with λmin < −${NEGATIVE_CURVATURE_FLOOR}·|λmax|` }),
});
export type HessianSummary = Static<typeof HessianSummary>;

export const HessianMapResult = Type.Object({
  surfaceId: Type.String(),
  kind: Type.Union([Type.Literal('1d'), Type.Literal('2d')]),
  shape: Type.Array(Type.Integer(), { description: '[my, mx] of the sub-grid (my = 1 for 1D)' }),
  points: Type.Array(HessianPoint, { description: 'Row-major over the sub-grid' }),
  summary: HessianSummary,
  settings: Type.Object({
    points: Type.Integer(), maxSteps: Type.Integer(), tolerance: Type.Number(), seed: Type.Integer(), samples: Type.Integer(),
    epsilonScale: Type.Number(), shiftFactor: Type.Number(),
  }),
  engine: EngineInfo,
  seconds: Type.Number(),
});
export type HessianMapResult = Static<typeof HessianMapResult>;

export interface HessianJobData {
  surfaceId: string;
  request: ResolvedHessianMapRequest;
}

/** Where a Hessian map lives in Redis (JSON of HessianMapResult), next to its surface. */
export function hessianKeys(namespace: string) {
  return {
    result: (surfaceId: string) => `${namespace}:surface:${surfaceId}:hessian`,
    /** The id of the surface's latest requested job (its settings are in the id), for progress and failures. */
    job: (surfaceId: string) => `${namespace}:surface:${surfaceId}:hessian:job`,
    /** Finished points of one run (hash `${iy},${ix}` → HessianPoint JSON; jobId = hessianJobId), so a killed worker's rerun resumes. */
    points: (surfaceId: string, jobId: string) => `${namespace}:surface:${surfaceId}:hessian:points:${jobId}`,
  };
}

/** Deterministic job id: the same surface and settings never run twice at once. */
export function hessianJobId(surfaceId: string, r: ResolvedHessianMapRequest): string {
  return `hessian-${surfaceId}-${r.points}-${r.maxSteps}-${r.tolerance}-${r.seed}-${r.samples}`;
}

/** m indices spread evenly over 0..n−1, ends included (m ≥ n gives every index). */
export function subgridIndices(n: number, m: number): number[] {
  if (n <= 1) return [0];
  const count = Math.min(m, n);
  return Array.from(new Set(Array.from({ length: count }, (_, k) => Math.round((k * (n - 1)) / (count - 1)))));
}

/** The points of a map that are not plateaus (FLAT_FLOOR), i.e. whose |λmin/λmax| means something. */
export function curvedPoints(points: HessianPoint[]): Set<HessianPoint> {
  const finite = points.filter((p) => p.lambdaMax !== null && p.lambdaMin !== null);
  const largest = Math.max(0, ...finite.map((p) => Math.abs(p.lambdaMax!)));
  return new Set(finite.filter((p) => Math.abs(p.lambdaMax!) > FLAT_FLOOR * largest));
}

export function hessianSummary(points: HessianPoint[]): HessianSummary {
  const finite = points.filter((p) => p.lambdaMax !== null && p.lambdaMin !== null);
  const curved = curvedPoints(points);
  const ratios = [...curved].map((p) => p.absRatio).filter((r): r is number => r !== null);
  const nearest = finite.reduce<HessianPoint | null>((best, p) => (!best || Math.hypot(p.x, p.y ?? 0) < Math.hypot(best.x, best.y ?? 0) ? p : best), null);
  const negative = [...curved].filter((p) => p.lambdaMin! < -NEGATIVE_CURVATURE_FLOOR * Math.abs(p.lambdaMax!)).length;
  return {
    points: finite.length,
    flatPoints: finite.length - curved.size,
    meanAbsRatio: ratios.length ? ratios.reduce((s, r) => s + r, 0) / ratios.length : null,
    maxAbsRatio: ratios.length ? Math.max(...ratios) : null,
    absRatioAtCenter: nearest && curved.has(nearest) ? nearest.absRatio : null,
    nonConvexShare: curved.size ? negative / curved.size : null,
  };
}
