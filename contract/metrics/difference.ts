import { Type, type Static } from 'typebox';
import { Split } from '../datasets.ts';
import { LossName } from '../losses.ts';
import { Normalization, type Provenance } from '../surface.ts';
import { beyondNoise, differenceStdError, NOISE_STANDARD_ERRORS } from './surface-metrics.ts';

/**
 * Difference surfaces: L_A − L_B point-wise for two finished surfaces computed on the identical
 * grid, samples, loss and direction settings (the same architecture with and without skips, two
 * checkpoints, two models of one structure), with its own metrics. Pure TS: the server serves it
 * and the viewer uses differenceMismatch to offer only compatible partners.
 */

const MaybeNumber = Type.Union([Type.Number(), Type.Null()]);
const MaybeGrid = Type.Array(Type.Array(MaybeNumber));

export const DifferenceMetrics = Type.Object(
  {
    points: Type.Integer({ description: 'Grid points where both losses are finite (the others are null in `loss` and left out of every figure)' }),
    meanDifference: Type.Union([Type.Number(), Type.Null()], { description: 'mean of d = L_A − L_B over those points' }),
    meanAbsolute: Type.Union([Type.Number(), Type.Null()], { description: 'mean |d|' }),
    maxAbsolute: Type.Union([Type.Number(), Type.Null()], { description: 'max |d|' }),
    maxAbsoluteAt: Type.Union([Type.Object({ ix: Type.Integer(), iy: Type.Integer() }), Type.Null()], { description: 'Where max |d| is (first in row-major order on ties)' }),
    beyondNoiseShare: Type.Union([Type.Number(), Type.Null()], {
      description: `Share of those points with |d| > ${NOISE_STANDARD_ERRORS}·lossStdError (the difference exceeds the sampling noise); null when either surface has no standard errors`,
    }),
  },
  { description: 'Metrics of the difference surface' },
);
export type DifferenceMetrics = Static<typeof DifferenceMetrics>;

export const SurfaceDifference = Type.Object({
  a: Type.String({ description: 'Surface A (the minuend)' }),
  b: Type.String({ description: 'Surface B' }),
  kind: Type.Union([Type.Literal('1d'), Type.Literal('2d')]),
  axes: Type.Object({ x: Type.Array(Type.Number()), y: Type.Union([Type.Array(Type.Number()), Type.Null()]) }),
  shape: Type.Array(Type.Integer(), { description: '[ny, nx]' }),
  loss: Type.Array(Type.Array(MaybeNumber), { description: 'd[iy][ix] = L_A[iy][ix] − L_B[iy][ix]; null where either loss is not finite' }),
  accuracy: Type.Union([MaybeGrid, Type.Null()], { description: 'acc_A − acc_B, same layout; null when either surface has no accuracy' }),
  lossStdError: Type.Union([MaybeGrid, Type.Null()], {
    description:
      'Standard error of d: sqrt(se_A² + se_B²) from both surfaces\' lossStdError, as if independent. Both surfaces use the same samples, so their ' +
      'errors are positively correlated and the true error of d is smaller: a difference called beyond the noise is. null when either surface has no standard errors.',
  }),
  metrics: DifferenceMetrics,
  settings: Type.Object(
    {
      dataset: Type.Object({ id: Type.String(), split: Split, samples: Type.Integer(), sampleSeed: Type.Integer() }),
      loss: LossName,
      directions: Type.Object({ seed: Type.Integer(), normalization: Normalization, ignore: Type.String(), mode: Type.String() }),
    },
    { description: 'The settings both surfaces share (checked by differenceMismatch)' },
  ),
});
export type SurfaceDifference = Static<typeof SurfaceDifference>;

/** What differenceMismatch reads: the result's axes (or the record's grid as linspaces) and provenance. */
export interface DifferenceOperand {
  axes: { x: number[]; y: number[] | null };
  provenance: Provenance;
}

export interface DifferenceMismatch {
  /** The setting that differs, e.g. `grid.x`, `dataset.sampleSeed`, `directions.seed`. */
  field: string;
  message: string;
}

const sameAxis = (a: number[] | null, b: number[] | null) => (a === null || b === null ? a === b : a.length === b.length && a.every((v, i) => v === b[i]));
const show = (axis: number[] | null) => (axis === null ? 'none (1D)' : `${axis.length} points from ${axis[0]} to ${axis[axis.length - 1]}`);

/**
 * The first setting in which two surfaces differ so that L_A − L_B would not compare like with
 * like, or null: grid axes, dataset (id, content, split, sample count and seed, chosen indices),
 * loss, directions (seed, normalization, ignore, mode, generator). Models may differ: that is the point.
 */
export function differenceMismatch(a: DifferenceOperand, b: DifferenceOperand): DifferenceMismatch | null {
  if (!sameAxis(a.axes.x, b.axes.x)) return { field: 'grid.x', message: `grid.x differs: ${show(a.axes.x)} vs ${show(b.axes.x)}` };
  if (!sameAxis(a.axes.y, b.axes.y)) return { field: 'grid.y', message: `grid.y differs: ${show(a.axes.y)} vs ${show(b.axes.y)}` };
  const pa = a.provenance;
  const pb = b.provenance;
  const settings: [string, unknown, unknown][] = [
    ['dataset.id', pa.dataset.id, pb.dataset.id],
    ['dataset.hash', pa.dataset.hash, pb.dataset.hash],
    ['dataset.split', pa.dataset.split, pb.dataset.split],
    ['dataset.samples', pa.dataset.samples, pb.dataset.samples],
    ['dataset.sampleSeed', pa.dataset.sampleSeed, pb.dataset.sampleSeed],
    // Known once a worker chose the samples; the settings above already fix them.
    ['dataset.indicesHash', pa.dataset.indicesHash ?? pb.dataset.indicesHash, pb.dataset.indicesHash ?? pa.dataset.indicesHash],
    ['loss', pa.loss, pb.loss],
    ['directions.seed', pa.directions.seed, pb.directions.seed],
    ['directions.normalization', pa.directions.normalization, pb.directions.normalization],
    ['directions.ignore', pa.directions.ignore, pb.directions.ignore],
    ['directions.mode', pa.directions.mode, pb.directions.mode],
    ['directions.rng', pa.directions.rng, pb.directions.rng],
  ];
  for (const [field, va, vb] of settings) {
    if (va !== vb) return { field, message: `${field} differs: ${JSON.stringify(va)} vs ${JSON.stringify(vb)}` };
  }
  return null;
}

interface DifferenceInput extends DifferenceOperand {
  id: string;
  kind: '1d' | '2d';
  shape: number[];
  loss: (number | null)[][];
  accuracy: (number | null)[][] | null;
  lossStdError?: (number | null)[][];
}

const isFiniteNumber = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

/** L_A − L_B with its standard errors and metrics; call differenceMismatch first (the grids must match). */
export function surfaceDifference(a: DifferenceInput, b: DifferenceInput): SurfaceDifference {
  const both = <T>(f: (va: number, vb: number) => T) => (ga: (number | null)[][], gb: (number | null)[][]) =>
    ga.map((row, iy) => row.map((va, ix) => {
      const vb = gb[iy]![ix];
      return isFiniteNumber(va) && isFiniteNumber(vb) ? f(va, vb) : null;
    }));
  const subtract = both((va, vb) => va - vb);
  const loss = subtract(a.loss, b.loss);
  const lossStdError = a.lossStdError && b.lossStdError ? both((va, vb) => differenceStdError(va, vb))(a.lossStdError, b.lossStdError) : null;

  let points = 0;
  let sum = 0;
  let absoluteSum = 0;
  let maxAbsolute: number | null = null;
  let maxAbsoluteAt: DifferenceMetrics['maxAbsoluteAt'] = null;
  let beyond = 0;
  loss.forEach((row, iy) => row.forEach((d, ix) => {
    if (d === null) return;
    points++;
    sum += d;
    absoluteSum += Math.abs(d);
    if (maxAbsolute === null || Math.abs(d) > maxAbsolute) (maxAbsolute = Math.abs(d)), (maxAbsoluteAt = { ix, iy });
    // A point without a standard error (a single sample) has unknown noise: any difference there counts.
    if (lossStdError && beyondNoise(d, lossStdError[iy]![ix] ?? 0)) beyond++;
  }));
  const { dataset, directions } = a.provenance;
  return {
    a: a.id,
    b: b.id,
    kind: a.kind,
    axes: a.axes,
    shape: a.shape,
    loss,
    accuracy: a.accuracy && b.accuracy ? subtract(a.accuracy, b.accuracy) : null,
    lossStdError,
    metrics: {
      points,
      meanDifference: points > 0 ? sum / points : null,
      meanAbsolute: points > 0 ? absoluteSum / points : null,
      maxAbsolute,
      maxAbsoluteAt,
      beyondNoiseShare: lossStdError && points > 0 ? beyond / points : null,
    },
    settings: {
      dataset: { id: dataset.id, split: dataset.split, samples: dataset.samples, sampleSeed: dataset.sampleSeed },
      loss: a.provenance.loss,
      directions: { seed: directions.seed, normalization: directions.normalization, ignore: directions.ignore, mode: directions.mode },
    },
  };
}
