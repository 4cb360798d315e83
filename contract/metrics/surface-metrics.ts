import { Type, type Static } from 'typebox';
import { ContractError } from '../errors.ts';
import type { SurfaceResult } from '../surface.ts';

/**
 * Figures computed from a finished surface, the same in server, worker and browser (pure TS).
 * Every formula is stated in the schema descriptions below: they are the API documentation.
 * Notation: L[iy][ix] is the stored loss, θ* the grid point nearest (α, β) = (0, 0),
 * h_x, h_y the grid steps. Non-finite points (null) never enter a sum, mean, minimum or maximum;
 * they are counted in `points.nonFinite` and, for shares, count as outside (denominator = all points).
 */

const MaybeNumber = Type.Union([Type.Number(), Type.Null()]);

export const DEFAULT_SHARPNESS_RADIUS = 0.25;
export const DEFAULT_BASIN_TAUS: readonly number[] = [0.1, 0.5, 1];
export const DEFAULT_NEAR_MINIMUM_DELTAS: readonly number[] = [0.1, 1];
/** A difference of two losses is beyond the sampling noise when it exceeds this many standard errors of the difference. */
export const NOISE_STANDARD_ERRORS = 2;

/**
 * Standard error of a − b from the standard errors of a and b, sqrt(se_a² + se_b²), as if the two
 * were independent. Points of one surface (and the members of a comparison) share their samples,
 * so their errors are positively correlated and the true error of a difference is smaller: this
 * overstates the noise, so what it calls beyond the noise is.
 */
export function differenceStdError(a: number | null | undefined, b: number | null | undefined): number | null {
  return isFiniteNumber(a) && isFiniteNumber(b) ? Math.hypot(a, b) : null;
}

/** Whether |difference| exceeds NOISE_STANDARD_ERRORS standard errors; null when the error is unknown. */
export function beyondNoise(difference: number, stdError: number | null): boolean | null {
  return stdError === null ? null : Math.abs(difference) > NOISE_STANDARD_ERRORS * stdError;
}

const gridPointFields = {
  ix: Type.Integer(),
  iy: Type.Integer(),
  x: Type.Number({ description: 'α of the point' }),
  y: Type.Union([Type.Number(), Type.Null()], { description: 'β of the point; null for 1D' }),
  loss: MaybeNumber,
  accuracy: MaybeNumber,
  lossStdError: Type.Optional(MaybeNumber),
};
export const GridPointValue = Type.Object(gridPointFields);
export type GridPointValue = Static<typeof GridPointValue>;

export const CurvatureAtPoint = Type.Object({
  lambdaMin: Type.Number(),
  lambdaMax: Type.Number(),
  ratio: Type.Union([Type.Number(), Type.Null()], { description: 'λmin/λmax (signed); null when |λmax| is within the rounding floor' }),
});
export type CurvatureAtPoint = Static<typeof CurvatureAtPoint>;

export const SurfaceMetrics = Type.Object(
  {
    kind: Type.Union([Type.Literal('1d'), Type.Literal('2d')]),
    points: Type.Object(
      {
        total: Type.Integer({ description: 'nx·ny' }),
        finite: Type.Integer(),
        nonFinite: Type.Integer({ description: 'Points whose loss is null (NaN/±Inf): excluded from every figure, counted here' }),
      },
      { description: 'Grid point counts' },
    ),
    center: Type.Object({ ...gridPointFields, exact: Type.Boolean({ description: 'true when the grid contains (0, 0) itself' }) }, {
      description:
        'θ*: the grid point nearest (α, β) = (0, 0) (Euclidean in α,β units; ties go to the lower index). ' +
        'loss/accuracy there are L(θ*) and its accuracy when `exact`, otherwise those of the nearest grid point.',
    }),
    minimum: Type.Object(gridPointFields, { description: 'Grid point of least finite loss: L_min = min L[iy][ix] and where (first in row-major order on ties)' }),
    maximumLoss: Type.Number({ description: 'max of the finite losses' }),
    basin: Type.Array(
      Type.Object({
        tau: Type.Number(),
        share: Type.Number({ description: '#{points with L ≤ L(θ*) + τ} / total points' }),
        area: Type.Number({ description: 'share · (x_max − x_min)·(y_max − y_min) in α,β units² (a length for 1D)' }),
      }),
      { description: 'Basin area: the share of the grid whose loss is at most L(θ*) + τ, for each τ (default 0.1, 0.5, 1)' },
    ),
    nearMinimum: Type.Array(
      Type.Object({ delta: Type.Number(), share: Type.Number({ description: '#{points with L ≤ L_min + δ} / total points' }) }),
      { description: 'Share of the grid within δ of the grid minimum (δ = 0.1 and 1)' },
    ),
    sharpness: Type.Object(
      {
        radius: Type.Number({ description: 'r in α,β units (default 0.25)' }),
        points: Type.Integer({ description: 'Finite grid points p ≠ θ* with ‖p − θ*‖ ≤ r (distance in α,β from the centre point)' }),
        nonFinite: Type.Integer({ description: 'Non-finite grid points within r (a hole this close means the loss blew up near θ*)' }),
        meanRise: MaybeNumber,
        maxRise: MaybeNumber,
        meanRiseStdError: Type.Optional(
          Type.Union([Type.Number(), Type.Null()], {
            description:
              'Sampling error of meanRise (surfaces with lossStdError): sqrt(Σ_p se_p² / m² + se(θ*)²) over the m points, as if independent ' +
              '(they share their samples, so this overstates it); null when meanRise is null',
          }),
        ),
      },
      {
        description:
          'Sharpness: rise_p = L(p) − L(θ*) over the finite grid points within radius r of θ*; meanRise = mean rise_p, maxRise = max rise_p. ' +
          'null when no finite point lies within r. For L = a(α² + β²) maxRise = a·r² when a grid point lies at distance r.',
      },
    ),
    roughness: Type.Object(
      {
        strictLocalMinima: Type.Integer({
          description:
            'Interior points (all 8 neighbours on the grid; 2 in 1D) whose finite loss is strictly below every finite neighbour ' +
            '(non-finite neighbours are skipped; at least one neighbour must be finite). Edge points never count: the descent may continue off the grid. ' +
            'On a surface with lossStdError a minimum counts only when it is below every finite neighbour q by more than ' +
            `${NOISE_STANDARD_ERRORS} standard errors of the difference, L_q − L_p > ${NOISE_STANDARD_ERRORS}·sqrt(se_p² + se_q²) (se unknown: 0); the others are minimaWithinNoise.`,
        }),
        minimaWithinNoise: Type.Optional(
          Type.Integer({ description: 'Surfaces with lossStdError: strict local minima whose depth below some neighbour is within the sampling noise, not counted in strictLocalMinima' }),
        ),
        totalVariation: Type.Number({ description: 'TV = Σ |L_p − L_q| over horizontally and vertically adjacent pairs (p, q) with both finite' }),
        meanAbsoluteSlope: MaybeNumber,
      },
      {
        description:
          'Roughness. meanAbsoluteSlope = mean over the same pairs of |L_p − L_q| / h (h = h_x or h_y): loss per α,β unit, ' +
          'independent of the grid resolution for a smooth surface; null when no pair is finite.',
      },
    ),
    curvature: Type.Object(
      {
        points: Type.Integer({ description: 'Interior points whose whole stencil (3×3 in 2D, 3 in 1D) is finite' }),
        noiseFloor: Type.Number({ description: 'Eigenvalues with |λ| ≤ 8·2⁻²³·max|L| / min(h_x, h_y)² (the float32 rounding floor of a second difference) count as 0' }),
        nonConvexShare: MaybeNumber,
        meanNegativeRatio: MaybeNumber,
        maxNegativeRatio: MaybeNumber,
        atCenter: Type.Union([CurvatureAtPoint, Type.Null()], { description: 'The in-plane Hessian at θ* (null when its stencil is not on the grid or not finite)' }),
      },
      {
        description:
          'Non-convexity seen in the plotted plane: the 2×2 Hessian of the surface by central differences, ' +
          'H = [[L_xx, L_xy], [L_xy, L_yy]], L_xx = (L[ix+1] − 2L[ix] + L[ix−1])/h_x², L_xy = (L[+1,+1] − L[+1,−1] − L[−1,+1] + L[−1,−1])/(4h_xh_y); ' +
          'λmin, λmax its eigenvalues (1D: λmin = λmax = f″). nonConvexShare = share of those points with λmin < −noiseFloor; ' +
          'meanNegativeRatio / maxNegativeRatio = mean / max of max(0, −λmin)/|λmax| over points with |λmax| > noiseFloor (null in 1D or when none): ' +
          'Li et al.\'s |λmin/λmax| with locally convex points counted as 0 (a 2×2 Hessian has no near-zero λmin to make them small), 1 at a symmetric saddle. ' +
          'This is the Hessian restricted to span(δ, η); the full-parameter |λmin/λmax| map is the Hessian job (HessianMapResult).',
      },
    ),
  },
  { description: 'Metrics of one surface; every figure is computed from the stored grid alone (contract/metrics/surface-metrics.ts).' },
);
export type SurfaceMetrics = Static<typeof SurfaceMetrics>;

export interface SurfaceMetricsOptions {
  /** Sharpness radius in α,β units. Default 0.25. */
  radius?: number;
  /** Basin thresholds above L(θ*). Default [0.1, 0.5, 1]. */
  taus?: number[];
  /** Thresholds above the grid minimum. Default [0.1, 1]. */
  nearMinimumDeltas?: number[];
}

type Grid = (number | null)[][];

function isFiniteNumber(v: number | null | undefined): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function uniformStep(axis: number[]): number {
  return axis.length > 1 ? (axis[axis.length - 1]! - axis[0]!) / (axis.length - 1) : 0;
}

function checkShape(result: SurfaceResult): { nx: number; ny: number; xs: number[]; ys: number[] } {
  const xs = result.axes.x;
  const ys = result.axes.y ?? [0];
  const nx = xs.length;
  const ny = ys.length;
  if (nx < 1) throw new ContractError('axes.x', 'is empty');
  if (result.loss.length !== ny || result.loss.some((row) => row.length !== nx)) {
    throw new ContractError('loss', `must be ${ny} rows of ${nx} values to match the axes`);
  }
  if (result.accuracy && (result.accuracy.length !== ny || result.accuracy.some((row) => row.length !== nx))) {
    throw new ContractError('accuracy', `must be ${ny} rows of ${nx} values to match the axes`);
  }
  return { nx, ny, xs, ys };
}

/** Eigenvalues of the symmetric 2×2 matrix [[a, b], [b, c]], smaller first. */
function symmetricEigen2(a: number, b: number, c: number): [number, number] {
  const mean = (a + c) / 2;
  const radius = Math.hypot((a - c) / 2, b);
  return [mean - radius, mean + radius];
}

function pointValue(result: SurfaceResult, ix: number, iy: number, xs: number[], ys: number[]): GridPointValue {
  const loss = result.loss[iy]![ix]!;
  const accuracy = result.accuracy ? result.accuracy[iy]![ix]! : null;
  const stdError = result.lossStdError?.[iy]![ix];
  return {
    ix,
    iy,
    x: xs[ix]!,
    y: result.axes.y ? ys[iy]! : null,
    loss: isFiniteNumber(loss) ? loss : null,
    accuracy: isFiniteNumber(accuracy) ? accuracy : null,
    ...(result.lossStdError && { lossStdError: isFiniteNumber(stdError) ? stdError : null }),
  };
}

function nearestToOrigin(values: number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (Math.abs(values[i]!) < Math.abs(values[best]!)) best = i;
  return best;
}

/** Surface metrics (formulas in the SurfaceMetrics schema). Throws ContractError when no point is finite. */
export function surfaceMetrics(result: SurfaceResult, options: SurfaceMetricsOptions = {}): SurfaceMetrics {
  const radius = options.radius ?? DEFAULT_SHARPNESS_RADIUS;
  const taus = options.taus ?? [...DEFAULT_BASIN_TAUS];
  const deltas = options.nearMinimumDeltas ?? [...DEFAULT_NEAR_MINIMUM_DELTAS];
  if (!(radius >= 0)) throw new ContractError('radius', `must be a non-negative number, got ${radius}`);
  const { nx, ny, xs, ys } = checkShape(result);
  const is2d = result.axes.y !== null;
  const loss: Grid = result.loss;
  const at = (ix: number, iy: number): number | null => {
    const v = loss[iy]![ix];
    return isFiniteNumber(v) ? v : null;
  };
  const stdErrors = result.lossStdError ?? null;
  if (stdErrors && (stdErrors.length !== ny || stdErrors.some((row) => row.length !== nx))) {
    throw new ContractError('lossStdError', `must be ${ny} rows of ${nx} values to match the axes`);
  }
  /** A point's standard error; 0 where unknown (a single sample), so unknown noise never hides a difference. */
  const stdErrorAt = (ix: number, iy: number): number => {
    const se = stdErrors?.[iy]![ix];
    return isFiniteNumber(se) ? se : 0;
  };

  const total = nx * ny;
  let finite = 0;
  let minimum: { ix: number; iy: number; loss: number } | null = null;
  let maximumLoss = -Infinity;
  let maxAbsLoss = 0;
  for (let iy = 0; iy < ny; iy++) {
    for (let ix = 0; ix < nx; ix++) {
      const v = at(ix, iy);
      if (v === null) continue;
      finite++;
      if (!minimum || v < minimum.loss) minimum = { ix, iy, loss: v };
      maximumLoss = Math.max(maximumLoss, v);
      maxAbsLoss = Math.max(maxAbsLoss, Math.abs(v));
    }
  }
  if (!minimum) throw new ContractError('loss', 'the surface has no finite point');

  const cx = nearestToOrigin(xs);
  const cy = is2d ? nearestToOrigin(ys) : 0;
  const center = { ...pointValue(result, cx, cy, xs, ys), exact: xs[cx] === 0 && (!is2d || ys[cy] === 0) };
  const centerLoss = center.loss;

  const shareAtMost = (threshold: number): number => {
    let count = 0;
    for (let iy = 0; iy < ny; iy++) for (let ix = 0; ix < nx; ix++) {
      const v = at(ix, iy);
      if (v !== null && v <= threshold) count++;
    }
    return count / total;
  };
  const extent = (xs[nx - 1]! - xs[0]!) * (is2d ? ys[ny - 1]! - ys[0]! : 1);
  const basin = taus.map((tau) => {
    const share = centerLoss === null ? 0 : shareAtMost(centerLoss + tau);
    return { tau, share, area: share * extent };
  });
  const nearMinimum = deltas.map((delta) => ({ delta, share: shareAtMost(minimum.loss + delta) }));

  // Sharpness: grid points within r of θ* (distance in α,β from the centre point itself).
  let sharpPoints = 0;
  let sharpNonFinite = 0;
  let riseSum = 0;
  let riseVarianceSum = 0;
  let maxRise = -Infinity;
  for (let iy = 0; iy < ny; iy++) {
    for (let ix = 0; ix < nx; ix++) {
      if (ix === cx && iy === cy) continue;
      const distance = Math.hypot(xs[ix]! - xs[cx]!, is2d ? ys[iy]! - ys[cy]! : 0);
      // A relative slack so that a point exactly at r (computed from linspace) is inside.
      if (distance > radius * (1 + 1e-9)) continue;
      const v = at(ix, iy);
      if (v === null) {
        sharpNonFinite++;
        continue;
      }
      if (centerLoss === null) continue;
      sharpPoints++;
      riseSum += v - centerLoss;
      riseVarianceSum += stdErrorAt(ix, iy) ** 2;
      maxRise = Math.max(maxRise, v - centerLoss);
    }
  }

  const hx = uniformStep(xs);
  const hy = is2d ? uniformStep(ys) : 0;

  // Roughness.
  let totalVariation = 0;
  let slopeSum = 0;
  let pairs = 0;
  const addPair = (a: number | null, b: number | null, h: number) => {
    if (a === null || b === null) return;
    totalVariation += Math.abs(a - b);
    slopeSum += Math.abs(a - b) / h;
    pairs++;
  };
  for (let iy = 0; iy < ny; iy++) for (let ix = 0; ix + 1 < nx; ix++) addPair(at(ix, iy), at(ix + 1, iy), hx);
  if (is2d) for (let iy = 0; iy + 1 < ny; iy++) for (let ix = 0; ix < nx; ix++) addPair(at(ix, iy), at(ix, iy + 1), hy);

  const neighbourOffsets: [number, number][] = is2d
    ? [[-1, -1], [0, -1], [1, -1], [-1, 0], [1, 0], [-1, 1], [0, 1], [1, 1]]
    : [[-1, 0], [1, 0]];
  let strictLocalMinima = 0;
  let minimaWithinNoise = 0;
  const yInterior = is2d ? [1, ny - 1] : [0, 1];
  for (let iy = yInterior[0]!; iy < yInterior[1]!; iy++) {
    for (let ix = 1; ix + 1 < nx; ix++) {
      const v = at(ix, iy);
      if (v === null) continue;
      let finiteNeighbours = 0;
      let lowest = true;
      let withinNoise = false;
      for (const [dx, dy] of neighbourOffsets) {
        const w = at(ix + dx, iy + dy);
        if (w === null) continue;
        finiteNeighbours++;
        if (w <= v) lowest = false;
        if (stdErrors && !beyondNoise(w - v, differenceStdError(stdErrorAt(ix, iy), stdErrorAt(ix + dx, iy + dy)))) withinNoise = true;
      }
      if (!lowest || finiteNeighbours === 0) continue;
      if (withinNoise) minimaWithinNoise++;
      else strictLocalMinima++;
    }
  }

  // In-plane curvature.
  const smallestStep = is2d ? Math.min(hx, hy) : hx;
  const noiseFloor = (8 * 2 ** -23 * maxAbsLoss) / (smallestStep * smallestStep);
  const curvatureAt = (ix: number, iy: number): CurvatureAtPoint | null => {
    if (ix < 1 || ix + 1 >= nx) return null;
    const c = at(ix, iy);
    const left = at(ix - 1, iy);
    const right = at(ix + 1, iy);
    if (c === null || left === null || right === null) return null;
    const lxx = (right - 2 * c + left) / (hx * hx);
    if (!is2d) return { lambdaMin: lxx, lambdaMax: lxx, ratio: null };
    if (iy < 1 || iy + 1 >= ny) return null;
    const down = at(ix, iy - 1);
    const up = at(ix, iy + 1);
    const corners = [at(ix + 1, iy + 1), at(ix - 1, iy + 1), at(ix + 1, iy - 1), at(ix - 1, iy - 1)];
    if (down === null || up === null || corners.some((v) => v === null)) return null;
    const [pp, mp, pm, mm] = corners as number[];
    const lyy = (up - 2 * c + down) / (hy * hy);
    const lxy = (pp! - mp! - pm! + mm!) / (4 * hx * hy);
    const [lambdaMin, lambdaMax] = symmetricEigen2(lxx, lxy, lyy);
    return { lambdaMin, lambdaMax, ratio: Math.abs(lambdaMax) > noiseFloor ? lambdaMin / lambdaMax : null };
  };
  let curvaturePoints = 0;
  let nonConvex = 0;
  let ratioSum = 0;
  let ratioCount = 0;
  let maxNegativeRatio = -Infinity;
  for (let iy = 0; iy < ny; iy++) {
    for (let ix = 0; ix < nx; ix++) {
      const curvature = curvatureAt(ix, iy);
      if (!curvature) continue;
      curvaturePoints++;
      if (curvature.lambdaMin < -noiseFloor) nonConvex++;
      if (curvature.ratio !== null) {
        const negativeRatio = Math.max(0, -curvature.lambdaMin) / Math.abs(curvature.lambdaMax);
        ratioSum += negativeRatio;
        ratioCount++;
        maxNegativeRatio = Math.max(maxNegativeRatio, negativeRatio);
      }
    }
  }

  return {
    kind: is2d ? '2d' : '1d',
    points: { total, finite, nonFinite: total - finite },
    center,
    minimum: pointValue(result, minimum.ix, minimum.iy, xs, ys),
    maximumLoss,
    basin,
    nearMinimum,
    sharpness: {
      radius,
      points: sharpPoints,
      nonFinite: sharpNonFinite,
      meanRise: sharpPoints > 0 ? riseSum / sharpPoints : null,
      maxRise: sharpPoints > 0 ? maxRise : null,
      ...(stdErrors && {
        meanRiseStdError: sharpPoints > 0 ? Math.sqrt(riseVarianceSum / sharpPoints ** 2 + stdErrorAt(cx, cy) ** 2) : null,
      }),
    },
    roughness: { strictLocalMinima, ...(stdErrors && { minimaWithinNoise }), totalVariation, meanAbsoluteSlope: pairs > 0 ? slopeSum / pairs : null },
    curvature: {
      points: curvaturePoints,
      noiseFloor,
      nonConvexShare: curvaturePoints > 0 ? nonConvex / curvaturePoints : null,
      meanNegativeRatio: ratioCount > 0 ? ratioSum / ratioCount : null,
      maxNegativeRatio: ratioCount > 0 ? maxNegativeRatio : null,
      atCenter: curvatureAt(cx, cy),
    },
  };
}
