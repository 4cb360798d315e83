import type { SurfaceMetrics } from '../../../contract/metrics/surface-metrics.ts';
import { NEGATIVE_CURVATURE_FLOOR, type HessianSummary } from '../../../contract/metrics/hessian.ts';
import { NOISE_STANDARD_ERRORS } from '../../../contract/metrics/surface-metrics.ts';
import { formatNumber, formatPercent, formatPlusMinus, formatPoint } from '../format.ts';

export interface MetricColumn {
  label: string;
  metrics: SurfaceMetrics | null;
  hessian: HessianSummary | null;
}

export interface MetricRow {
  name: string;
  /** The formula, shown as a tooltip (the API docs say the same). */
  formula: string;
  values: string[];
}

/** The rows of the comparison's metrics table, one value per column ('—' where unknown). `accuracyName`: what the members' "accuracy" is (IoU for segmentation sets). */
export function metricRows(columns: MetricColumn[], accuracyName: 'accuracy' | 'IoU' = 'accuracy'): MetricRow[] {
  const row = (name: string, formula: string, value: (m: SurfaceMetrics, h: HessianSummary | null) => string, needsHessian = false): MetricRow => ({
    name,
    formula,
    values: columns.map((c) => (c.metrics && (!needsHessian || c.hessian) ? value(c.metrics, c.hessian) : '—')),
  });
  const first = columns.find((c) => c.metrics)?.metrics;
  const radius = first ? formatNumber(first.sharpness.radius) : 'r';
  const rows: MetricRow[] = [
    row('Loss at θ*', 'L at the grid point nearest (0, 0); * = nearest point, not (0, 0) itself; ± its standard error over the samples when known', (m) => `${formatNumber(m.center.loss)}${formatPlusMinus(m.center.lossStdError)}${m.center.exact ? '' : '*'}`),
    accuracyName === 'IoU'
      ? row('IoU at θ*', 'mean per-sample intersection over union of the predicted and true masks at the same point (the segmentation "accuracy")', (m) => formatPercent(m.center.accuracy))
      : row('Accuracy at θ*', 'accuracy at the same point', (m) => formatPercent(m.center.accuracy)),
    row('Grid minimum', 'min L over the finite grid points', (m) => formatNumber(m.minimum.loss)),
    row('… at (α, β)', 'where the grid minimum is', (m) => formatPoint(m.minimum.x, m.minimum.y)),
    ...(first?.nearMinimum ?? []).map((n, k) =>
      row(`Share within ${formatNumber(n.delta)} of min`, `#{L ≤ L_min + ${n.delta}} / all points`, (m) => formatPercent(m.nearMinimum[k]?.share)),
    ),
    ...(first?.basin ?? []).map((b, k) =>
      row(`Basin area τ = ${formatNumber(b.tau)}`, `#{L ≤ L(θ*) + ${b.tau}} / all points`, (m) => formatPercent(m.basin[k]?.share)),
    ),
    row(`Mean rise within r = ${radius}`, 'mean of L(p) − L(θ*) over grid points p with ‖p − θ*‖ ≤ r (± its standard error when known)', (m) => `${formatNumber(m.sharpness.meanRise)}${formatPlusMinus(m.sharpness.meanRiseStdError)}`),
    row(`Max rise within r = ${radius}`, 'max of L(p) − L(θ*) over the same points', (m) => formatNumber(m.sharpness.maxRise)),
    row('Strict local minima', `interior points strictly below all 8 neighbours (by more than ${NOISE_STANDARD_ERRORS} standard errors when known; + those within the sampling noise)`, (m) =>
      `${m.roughness.strictLocalMinima}${m.roughness.minimaWithinNoise ? ` (+${m.roughness.minimaWithinNoise} within noise)` : ''}`),
    row('Total variation', 'Σ |L_p − L_q| over adjacent pairs', (m) => formatNumber(m.roughness.totalVariation)),
    row('Mean |slope|', 'mean |L_p − L_q| / h over adjacent pairs', (m) => formatNumber(m.roughness.meanAbsoluteSlope)),
    row('Non-convex share (plane)', 'share of points whose in-plane Hessian has λmin < 0', (m) => formatPercent(m.curvature.nonConvexShare)),
    row('Mean negative-curvature ratio (plane)', 'mean of max(0, −λmin)/|λmax| of the in-plane 2×2 Hessian (central differences)', (m) => formatNumber(m.curvature.meanNegativeRatio)),
    row('Mean |λmin/λmax| (Hessian)', 'Hessian over a sub-grid (conv and linear weights), restarted Lanczos on exact Hessian-vector products', (_, h) => formatNumber(h!.meanAbsRatio), true),
    row('Max |λmin/λmax| (Hessian)', 'largest over the sub-grid', (_, h) => formatNumber(h!.maxAbsRatio), true),
    row('|λmin/λmax| at θ* (Hessian)', 'at the sub-grid point nearest θ*', (_, h) => formatNumber(h!.absRatioAtCenter), true),
    row('Non-convex share (Hessian)', `share of the sub-grid points with λmin < −${NEGATIVE_CURVATURE_FLOOR}·|λmax|`, (_, h) => formatPercent(h!.nonConvexShare), true),
    row('Non-finite points', 'grid points whose loss is NaN or ±Inf', (m) => `${m.points.nonFinite} / ${m.points.total}`),
  ];
  return rows;
}

/** The table element for metricRows. */
export function renderMetricsTable(columns: MetricColumn[], accuracyName: 'accuracy' | 'IoU' = 'accuracy'): HTMLTableElement {
  const table = document.createElement('table');
  table.className = 'metrics';
  const head = table.createTHead().insertRow();
  head.append(Object.assign(document.createElement('th'), { textContent: 'Metric' }));
  for (const c of columns) head.append(Object.assign(document.createElement('th'), { textContent: c.label, scope: 'col' }));
  const body = table.createTBody();
  for (const r of metricRows(columns, accuracyName)) {
    const tr = body.insertRow();
    tr.append(Object.assign(document.createElement('th'), { textContent: r.name, title: r.formula, scope: 'row' }));
    for (const v of r.values) tr.insertCell().textContent = v;
  }
  return table;
}
