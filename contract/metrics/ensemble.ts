import { Type, type Static } from 'typebox';
import { ContractError } from '../errors.ts';
import type { SurfaceResult } from '../surface.ts';
import { percentile } from './percentile.ts';
import { surfaceMetrics, type SurfaceMetrics } from './surface-metrics.ts';

/**
 * Statistics of a direction ensemble: k surfaces of one model on the identical grid and samples,
 * each with its own seeded direction pair. Point-wise and per metric, the median, the quartiles
 * and the extremes over the members. Pure TS: the server serves them, the viewer draws them.
 */

const MaybeNumber = Type.Union([Type.Number(), Type.Null()]);
const MaybeGrid = Type.Array(Type.Array(MaybeNumber));

/** How the order statistics are taken, stated once for every schema that carries them. */
export const ENSEMBLE_STATISTICS_RULE =
  'Over the members whose value is finite (NaN and ±Inf are left out, their count is not): median = 50th, q1 = 25th, q3 = 75th percentile ' +
  'by linear interpolation between closest ranks (numpy\'s default: position p·(n − 1) in the sorted values, so an even n takes the mean of the two middle values), ' +
  'min and max; all null when no member is finite.';

const SPREAD_DESCRIPTION = `A value's spread over the ensemble's members. ${ENSEMBLE_STATISTICS_RULE} The interquartile range is q3 − q1.`;

export const Spread = Type.Object(
  {
    median: MaybeNumber,
    q1: MaybeNumber,
    q3: MaybeNumber,
    min: MaybeNumber,
    max: MaybeNumber,
    members: Type.Integer({ description: 'Members whose value is finite: the statistics are over these' }),
  },
  { description: SPREAD_DESCRIPTION },
);
export type Spread = Static<typeof Spread>;

export const MetricSpread = Type.Object(
  { ...Spread.properties, values: Type.Array(MaybeNumber, { description: "Each member's value, in member order (null: not finite, or the metric is undefined for that member)" }) },
  { description: SPREAD_DESCRIPTION },
);
export type MetricSpread = Static<typeof MetricSpread>;

export const PointwiseSpread = Type.Object(
  {
    median: MaybeGrid,
    q1: MaybeGrid,
    q3: MaybeGrid,
    min: MaybeGrid,
    max: MaybeGrid,
    finiteMembers: Type.Array(Type.Array(Type.Integer()), {
      description: 'Members whose value at the point is finite, [iy][ix]; fewer than k where a member\'s loss is NaN or ±Inf there (those members are left out of the point\'s statistics)',
    }),
  },
  { description: `Point-wise statistics over the members, each [iy][ix] in the layout of a surface's loss. ${ENSEMBLE_STATISTICS_RULE}` },
);
export type PointwiseSpread = Static<typeof PointwiseSpread>;

export const EnsembleMember = Type.Object({
  index: Type.Integer({ description: 'j, 0 … k − 1' }),
  seed: Type.Integer({ description: 'Direction seed of member j (ENSEMBLE_SEED_RULE)' }),
  surfaceId: Type.String({ description: 'The member\'s surface: a plain surface with that seed (GET /api/v1/surfaces/{surfaceId})' }),
});
export type EnsembleMember = Static<typeof EnsembleMember>;

export const EnsembleStatistics = Type.Object({
  id: Type.String({ description: 'The ensemble' }),
  kind: Type.Union([Type.Literal('1d'), Type.Literal('2d')]),
  axes: Type.Object({ x: Type.Array(Type.Number()), y: Type.Union([Type.Array(Type.Number()), Type.Null()]) }),
  shape: Type.Array(Type.Integer(), { description: '[ny, nx]' }),
  members: Type.Array(EnsembleMember),
  loss: PointwiseSpread,
  accuracy: Type.Union([PointwiseSpread, Type.Null()], { description: 'The same statistics of the accuracy; null for regression losses' }),
  metrics: Type.Record(Type.String(), MetricSpread, {
    description:
      'Every numeric figure of SurfaceMetrics (GET /api/v1/surfaces/{id}/metrics, computed per member) by its path, e.g. sharpness.meanRise, ' +
      'roughness.strictLocalMinima, basin[tau=0.5].area, curvature.atCenter.lambdaMin, minimum.loss; the settings (sharpness.radius, τ, δ) are left out. ' +
      'A member whose surface has no finite point has no metrics: null in values.',
  }),
});
export type EnsembleStatistics = Static<typeof EnsembleStatistics>;

const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** The spread of one value over the members (ENSEMBLE_STATISTICS_RULE). */
export function spreadOf(values: readonly (number | null | undefined)[]): Spread {
  const sorted = Float64Array.from(values.filter(isFiniteNumber)).sort();
  if (sorted.length === 0) return { median: null, q1: null, q3: null, min: null, max: null, members: 0 };
  return {
    median: percentile(sorted, 0.5),
    q1: percentile(sorted, 0.25),
    q3: percentile(sorted, 0.75),
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
    members: sorted.length,
  };
}

type Grid = readonly (readonly (number | null)[])[];

/** Point-wise spreads of k grids of one shape. */
export function pointwiseSpread(grids: readonly Grid[]): PointwiseSpread {
  const [first] = grids;
  if (!first) throw new ContractError('members', 'an ensemble has at least one member');
  const empty = () => first.map((row) => row.map((): number | null => null));
  const out: PointwiseSpread = { median: empty(), q1: empty(), q3: empty(), min: empty(), max: empty(), finiteMembers: first.map((row) => row.map(() => 0)) };
  first.forEach((row, iy) =>
    row.forEach((_, ix) => {
      const spread = spreadOf(grids.map((grid) => grid[iy]![ix]));
      out.median[iy]![ix] = spread.median;
      out.q1[iy]![ix] = spread.q1;
      out.q3[iy]![ix] = spread.q3;
      out.min[iy]![ix] = spread.min;
      out.max[iy]![ix] = spread.max;
      out.finiteMembers[iy]![ix] = spread.members;
    }),
  );
  return out;
}

/** Settings of the metrics, the same for every member: not measurements. */
const METRIC_SETTINGS = new Set(['radius', 'tau', 'delta']);

/**
 * Every numeric figure of a SurfaceMetrics by its path: objects by key (a.b), arrays of
 * thresholded entries by their threshold (basin[tau=0.5]), other arrays by index; null figures
 * included, booleans and strings (kind, exact) not.
 */
export function metricFigures(metrics: SurfaceMetrics): Map<string, number | null> {
  const figures = new Map<string, number | null>();
  const walk = (value: unknown, path: string) => {
    if (typeof value === 'number' || value === null) {
      figures.set(path, value);
    } else if (Array.isArray(value)) {
      value.forEach((entry: Record<string, unknown>, i) => {
        const threshold = ['tau', 'delta'].find((key) => typeof entry?.[key] === 'number');
        walk(entry, threshold ? `${path}[${threshold}=${entry[threshold]}]` : `${path}[${i}]`);
      });
    } else if (typeof value === 'object') {
      for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
        if (!METRIC_SETTINGS.has(key)) walk(child, path ? `${path}.${key}` : key);
      }
    }
  };
  walk(metrics, '');
  return figures;
}

/** A member's metrics, or null when its surface has no finite point (surfaceMetrics refuses it). */
function membersMetrics(result: SurfaceResult): SurfaceMetrics | null {
  try {
    return surfaceMetrics(result);
  } catch (err) {
    if (err instanceof ContractError) return null;
    throw err;
  }
}

/** Every metric's spread over the members, by path (metricFigures); a figure a member lacks is null for it. */
export function metricSpreads(results: readonly SurfaceResult[]): Record<string, MetricSpread> {
  const figures = results.map((result) => {
    const metrics = membersMetrics(result);
    return metrics ? metricFigures(metrics) : new Map<string, number | null>();
  });
  const paths = [...new Set(figures.flatMap((f) => [...f.keys()]))];
  return Object.fromEntries(
    paths.map((path) => {
      const values = figures.map((f) => {
        const v = f.get(path);
        return isFiniteNumber(v) ? v : null;
      });
      return [path, { ...spreadOf(values), values }];
    }),
  );
}

const sameAxis = (a: number[] | null, b: number[] | null) => (a === null || b === null ? a === b : a.length === b.length && a.every((v, i) => v === b[i]));

/** The statistics of an ensemble from its members' finished surfaces, in member order. */
export function ensembleStatistics(id: string, members: readonly EnsembleMember[], results: readonly SurfaceResult[]): EnsembleStatistics {
  const [first] = results;
  if (!first || results.length !== members.length) throw new ContractError('members', `${members.length} members but ${results.length} surfaces`);
  for (const result of results) {
    if (!sameAxis(result.axes.x, first.axes.x) || !sameAxis(result.axes.y, first.axes.y)) {
      throw new ContractError('members', `surface ${result.id} is not on the grid of surface ${first.id}`);
    }
  }
  const accuracies = results.map((r) => r.accuracy);
  return {
    id,
    kind: first.kind,
    axes: first.axes,
    shape: first.shape,
    members: [...members],
    loss: pointwiseSpread(results.map((r) => r.loss)),
    accuracy: accuracies.every((a) => a !== null) ? pointwiseSpread(accuracies as Grid[]) : null,
    metrics: metricSpreads(results),
  };
}
