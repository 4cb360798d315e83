import type { MetricSpread } from './ensemble.ts';
import type { GradientFlow } from './gradient-flow.ts';
import type { HessianSummary } from './hessian.ts';
import { beyondNoise, differenceStdError, NOISE_STANDARD_ERRORS, type SurfaceMetrics } from './surface-metrics.ts';

/** One member of a comparison, as the finding sees it. */
export interface FindingEntry {
  label: string;
  metrics: SurfaceMetrics;
  /** Full-Hessian map summary, when one was computed. */
  hessian?: HessianSummary | null;
  /** Gradient flow at initialisation, when known. */
  gradientFlow?: GradientFlow | null;
  /** The metrics' spreads over a direction ensemble (EnsembleStatistics.metrics), when the member has one. */
  ensemble?: Record<string, MetricSpread> | null;
}

const SHARPNESS = 'sharpness.meanRise';

/** Figures closer than this factor are reported as similar rather than as a difference. */
export const SIMILAR_FACTOR = 1.25;

function fmt(v: number): string {
  if (v === 0) return '0';
  const magnitude = Math.abs(v);
  return magnitude >= 0.01 && magnitude < 1000 ? v.toPrecision(3).replace(/\.?0+$/, '') : v.toExponential(1);
}

function interquartile(spread: MetricSpread): string {
  return `IQR ${fmt(spread.q1!)} to ${fmt(spread.q3!)}`;
}

function percent(share: number): string {
  return `${Math.round(share * 100)}%`;
}

/** The entries with the largest and smallest value of a figure (entries without it ignored). */
function extremes(entries: FindingEntry[], value: (e: FindingEntry) => number | null | undefined): { high: FindingEntry; low: FindingEntry; hv: number; lv: number } | null {
  const known = entries
    .map((e) => ({ e, v: value(e) }))
    .filter((x): x is { e: FindingEntry; v: number } => typeof x.v === 'number' && Number.isFinite(x.v));
  if (known.length < 2) return null;
  known.sort((a, b) => a.v - b.v);
  return { low: known[0]!.e, lv: known[0]!.v, high: known[known.length - 1]!.e, hv: known[known.length - 1]!.v };
}

/** How many times larger a is than b (both ≥ 0); Infinity when only b is 0. */
function factor(a: number, b: number): number {
  return b > 0 ? a / b : a > 0 ? Infinity : 1;
}

/**
 * A one-sentence finding computed from a comparison's numbers (never canned): which member is
 * sharper and by how much (mean loss rise within r of θ*), whether the sharper one is also more
 * non-convex (full-Hessian mean |λmin/λmax| when every member has it, else the in-plane
 * non-convex share), and, when known, how much weaker its first-layer gradients are at
 * initialisation (first/last kernel rms). Differences under SIMILAR_FACTOR are called similar; when
 * both surfaces have standard errors, a sharpness difference within NOISE_STANDARD_ERRORS standard
 * errors of the difference is called equal within the sampling noise, and one beyond says so.
 * When every member has a direction ensemble, the figures are medians over its direction pairs and
 * the spread replaces the sampling noise: a difference whose interquartile ranges overlap (the
 * sharper member's q1 ≤ the flatter one's q3) is called equal within the spread, one beyond says so.
 */
export function comparisonFinding(entries: FindingEntry[]): string {
  if (entries.length === 0) return 'There is nothing to compare yet.';
  if (entries.length === 1) {
    const m = entries[0]!.metrics;
    const noisyMinima = m.roughness.minimaWithinNoise ? ` (and ${m.roughness.minimaWithinNoise} more within the sampling noise)` : '';
    const spread = entries[0]!.ensemble?.[SHARPNESS];
    const rise = spread?.median != null ? `${fmt(spread.median)} (median over ${spread.members} direction pairs, ${interquartile(spread)})` : fmt(m.sharpness.meanRise ?? NaN);
    return `${entries[0]!.label} has a mean loss rise of ${rise} within r = ${fmt(m.sharpness.radius)} of θ*, ` +
      `${m.roughness.strictLocalMinima} strict local minima on the grid${noisyMinima} and ${percent(m.basin[m.basin.length - 1]?.share ?? 0)} of the grid in its basin.`;
  }
  // Over direction ensembles the figures are the members' medians, and their spread takes the place of the sampling noise.
  const spreads = entries.every((e) => e.ensemble?.[SHARPNESS]?.median != null) ? new Map(entries.map((e) => [e, e.ensemble![SHARPNESS]!])) : null;
  const sharpness = extremes(entries, (e) => (spreads ? spreads.get(e)!.median : e.metrics.sharpness.meanRise));
  if (!sharpness) return 'The surfaces have too few finite points near θ* to compare their sharpness.';
  const radius = fmt(entries[0]!.metrics.sharpness.radius);
  const riseName = spreads ? 'median mean loss rise' : 'mean loss rise';
  const sharpFactor = factor(sharpness.hv, Math.max(sharpness.lv, 0));
  const { high: sharp, low: flat } = sharpness;
  const sharpSpread = spreads?.get(sharp);
  const flatSpread = spreads?.get(flat);
  // Beyond the spread over directions: the sharper member's lower quartile lies above the flatter one's upper quartile.
  const beyondSpread = sharpSpread && flatSpread ? sharpSpread.q1! > flatSpread.q3! : null;
  const spreadFacts = sharpSpread && flatSpread
    ? `${sharpSpread.members} vs ${flatSpread.members} direction pairs, ${interquartile(sharpSpread)} vs ${interquartile(flatSpread)}: ` +
      `the interquartile ranges ${beyondSpread ? 'do not overlap' : 'overlap'}`
    : null;
  if (beyondSpread === false) {
    return `${sharp.label} and ${flat.label} are equally sharp near θ* within the spread over random directions: the difference of the ${riseName}s within r = ${radius}, ` +
      `${fmt(sharpness.hv)} vs ${fmt(sharpness.lv)}, does not exceed the spread (${spreadFacts}).`;
  }
  if (sharpness.lv > 0 && sharpFactor < SIMILAR_FACTOR) {
    return `${entries.length === 2 ? 'Both' : `All ${entries.length}`} surfaces are similarly sharp near θ* (${riseName} within r = ${radius} between ${fmt(sharpness.lv)} and ${fmt(sharpness.hv)}` +
      `${spreadFacts ? `; ${spreadFacts}` : ''}).`;
  }
  const riseNoise = spreads ? null : differenceStdError(sharp.metrics.sharpness.meanRiseStdError, flat.metrics.sharpness.meanRiseStdError);
  const riseBeyondNoise = beyondNoise(sharpness.hv - sharpness.lv, riseNoise);
  const noiseNote = riseNoise === null
    ? ''
    : ` (difference ${fmt(sharpness.hv - sharpness.lv)} ${riseBeyondNoise ? '>' : '≤'} ${NOISE_STANDARD_ERRORS} standard errors = ${fmt(NOISE_STANDARD_ERRORS * riseNoise)})`;
  if (riseBeyondNoise === false) {
    return `${sharp.label} and ${flat.label} are equally sharp near θ* within the sampling noise: mean loss rise within r = ${radius} ${fmt(sharpness.hv)} vs ${fmt(sharpness.lv)}${noiseNote}.`;
  }
  if (sharpness.hv <= 0) {
    return `No member's θ* is a minimum of its plane (${riseName.replace('rise', 'change')} within r = ${radius} between ${fmt(sharpness.lv)} and ${fmt(sharpness.hv)}), so their sharpness is not comparable.`;
  }
  const clauses = [
    sharpness.lv <= 0
      ? `${flat.label}'s θ* is not a minimum of its plane (${riseName.replace('rise', 'change')} within r = ${radius}: ${fmt(sharpness.lv)}), unlike ${sharp.label}'s (${fmt(sharpness.hv)})`
      : `${sharp.label} is ${fmt(sharpFactor)}× sharper than ${flat.label} near θ* (${riseName} within r = ${radius}: ${fmt(sharpness.hv)} vs ${fmt(sharpness.lv)})` +
        (riseBeyondNoise ? `, beyond the sampling noise${noiseNote}` : '') +
        (beyondSpread ? `, beyond the spread over random directions (${spreadFacts})` : ''),
  ];

  const useHessian = entries.every((e) => e.hessian?.meanAbsRatio != null);
  const convexityOf = (e: FindingEntry) =>
    useHessian ? e.hessian!.meanAbsRatio! : spreads ? e.ensemble!['curvature.nonConvexShare']?.median ?? null : e.metrics.curvature.nonConvexShare;
  const sharpConvexity = convexityOf(sharp);
  const flatConvexity = convexityOf(flat);
  if (sharpConvexity != null && flatConvexity != null) {
    const name = useHessian ? 'mean |λmin/λmax|' : spreads ? 'median non-convex share of the plane' : 'non-convex share of the plane';
    const show = (v: number) => (useHessian ? fmt(v) : percent(v));
    const more = factor(sharpConvexity, flatConvexity) >= SIMILAR_FACTOR;
    const less = factor(flatConvexity, sharpConvexity) >= SIMILAR_FACTOR;
    const verdict = more ? 'more non-convex' : less ? 'less non-convex' : 'about as non-convex';
    clauses.push(`${more ? 'and' : 'but'} ${verdict} (${name} ${show(sharpConvexity)} vs ${show(flatConvexity)})`);
  }

  const flowSharp = sharp.gradientFlow?.firstToLast;
  const flowFlat = flat.gradientFlow?.firstToLast;
  if (flowSharp != null && flowFlat != null && flowSharp > 0 && factor(flowFlat, flowSharp) >= SIMILAR_FACTOR) {
    clauses.push(`while its first-layer gradients at initialisation are ${fmt(factor(flowFlat, flowSharp))}× weaker relative to the last layer`);
  } else if (flowSharp != null && flowFlat != null && flowFlat > 0 && factor(flowSharp, flowFlat) >= SIMILAR_FACTOR) {
    clauses.push(`although its first-layer gradients at initialisation are ${fmt(factor(flowSharp, flowFlat))}× stronger relative to the last layer`);
  }
  return `${clauses.join(', ')}.`;
}
