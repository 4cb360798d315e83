import type { CompanionMember, EnsembleCompanion } from '../../../contract/comparisons.ts';
import type { MetricSpread } from '../../../contract/metrics/ensemble.ts';
import { drawColorbar } from '../colorbar.ts';
import { formatCoordinate, formatNumber, formatPercent } from '../format.ts';
import { gridFromResult, readPoint } from '../grid.ts';
import { HeatmapView } from '../heatmap.ts';
import { finiteRange, transformGrid, type ScaleOptions } from '../scale.ts';
import type { ThemeColors } from '../theme.ts';

/**
 * The report's "Direction ensemble" section for a demo with an ensemble companion: the companion's
 * finding, each metric as its median over the k direction pairs with the interquartile range (the
 * extremes in the tooltip), and per member a map of the point-wise IQR of the loss on one shared
 * log color scale.
 */

export const IQR_COLORMAP = 'magma';

/**
 * log(IQR + ε) with ε = 1 % of the largest IQR: the spread grows by orders of magnitude from θ*
 * (0, shared by every pair) to the grid's edge, and a linear scale shows only the edge.
 */
function iqrScale(largest: number): ScaleOptions {
  return { scale: 'log', epsilon: largest > 0 ? largest / 100 : 1e-6, clip: null };
}

interface SpreadRow {
  name: string;
  formula: string;
  /** Per member: "median [q1 – q3]". */
  values: string[];
  /** Per member: the extremes over the k pairs, for the tooltip. */
  ranges: string[];
}

/** The metric paths of EnsembleStatistics.metrics the table shows, in the order of the report's metrics table; percent: a share. */
function shownMetrics(first: Record<string, MetricSpread>): { path: string; name: string; formula: string; percent?: boolean }[] {
  const thresholded = (prefix: string, key: string) =>
    Object.keys(first).filter((p) => p.startsWith(`${prefix}[${key}=`) && p.endsWith('.share')).map((p) => ({ path: p, value: /=([^\]]+)\]/.exec(p)![1]! }));
  return [
    { path: 'center.loss', name: 'Loss at θ*', formula: 'L at the grid point nearest (0, 0): the same for every direction pair' },
    { path: 'minimum.loss', name: 'Grid minimum', formula: 'min L over the finite grid points' },
    ...thresholded('basin', 'tau').map(({ path, value }) => ({ path, name: `Basin area τ = ${value}`, formula: `#{L ≤ L(θ*) + ${value}} / all points`, percent: true })),
    { path: 'sharpness.meanRise', name: 'Mean rise within r', formula: 'mean of L(p) − L(θ*) over grid points p with ‖p − θ*‖ ≤ r' },
    { path: 'sharpness.maxRise', name: 'Max rise within r', formula: 'max of L(p) − L(θ*) over the same points' },
    { path: 'roughness.strictLocalMinima', name: 'Strict local minima', formula: 'interior points strictly below all 8 neighbours' },
    { path: 'roughness.totalVariation', name: 'Total variation', formula: 'Σ |L_p − L_q| over adjacent pairs' },
    { path: 'roughness.meanAbsoluteSlope', name: 'Mean |slope|', formula: 'mean |L_p − L_q| / h over adjacent pairs' },
    { path: 'curvature.nonConvexShare', name: 'Non-convex share (plane)', formula: 'share of points whose in-plane Hessian has λmin < 0', percent: true },
    { path: 'curvature.meanNegativeRatio', name: 'Mean negative-curvature ratio (plane)', formula: 'mean of max(0, −λmin)/|λmax| of the in-plane 2×2 Hessian' },
  ].filter((m) => m.path in first);
}

/** Rows of the ensemble's metrics table, one cell per member ('—' where a member lacks the metric). */
export function ensembleMetricRows(members: CompanionMember[]): SpreadRow[] {
  const first = members[0]?.metrics;
  if (!first) return [];
  return shownMetrics(first).map(({ path, name, formula, percent }) => {
    const format = (v: number | null) => (percent ? formatPercent(v) : formatNumber(v, 3));
    const spreads = members.map((m) => m.metrics[path]);
    return {
      name,
      formula: `${formula}; median over the k direction pairs [25th – 75th percentile]`,
      values: spreads.map((s) => (s && s.median !== null ? `${format(s.median)} [${format(s.q1)} – ${format(s.q3)}]` : '—')),
      ranges: spreads.map((s) => (s && s.min !== null ? `min ${format(s.min)}, max ${format(s.max)} over ${s.members} pairs` : '')),
    };
  });
}

function metricsTable(members: CompanionMember[]): HTMLTableElement {
  const table = document.createElement('table');
  table.className = 'metrics ensemble-metrics';
  const head = table.createTHead().insertRow();
  head.append(Object.assign(document.createElement('th'), { textContent: 'Metric (median [IQR])' }));
  for (const m of members) head.append(Object.assign(document.createElement('th'), { textContent: m.label, scope: 'col' }));
  const body = table.createTBody();
  for (const row of ensembleMetricRows(members)) {
    const tr = body.insertRow();
    tr.append(Object.assign(document.createElement('th'), { textContent: row.name, title: row.formula, scope: 'row' }));
    row.values.forEach((value, k) => Object.assign(tr.insertCell(), { textContent: value, title: row.ranges[k] }));
  }
  return table;
}

/** Fills the section's elements from the companion; returns what releases its views. */
export function renderEnsembleSection(
  elements: { heading: HTMLElement; note: HTMLElement; finding: HTMLElement; metrics: HTMLElement; maps: HTMLElement; colorbar: HTMLCanvasElement },
  companion: EnsembleCompanion,
  theme: ThemeColors,
): () => void {
  const ks = [...new Set(companion.members.map((m) => m.k))];
  elements.heading.textContent = `Direction ensemble (k = ${ks.join(', ')})`;
  const { x, y } = companion.axes;
  elements.note.textContent =
    `The same members on the same samples and directions seed, each mapped over k seeded direction pairs on a ${x.length}${y ? `×${y.length}` : ''} grid. ` +
    'Metrics: the median over the pairs [25th – 75th percentile]; hover a cell for the extremes. Maps: the point-wise interquartile range of the loss over the pairs ' +
    '(0 at θ*, which every pair shares), on one log color scale, log(IQR + 1 % of the largest IQR).';
  elements.finding.textContent = companion.finding ?? 'No finding: the companion did not complete.';
  elements.metrics.replaceChildren(metricsTable(companion.members));
  const grids = companion.members.map((m) => gridFromResult({ kind: y ? '2d' : '1d', shape: [y?.length ?? 1, x.length], axes: companion.axes, loss: m.loss.iqr, accuracy: null }));
  const scale = iqrScale(finiteRange(grids.map((g) => g.loss))?.max ?? 0);
  const range = finiteRange(grids.map((g) => transformGrid(g.loss, scale)));
  drawColorbar(elements.colorbar, IQR_COLORMAP, range, scale, theme, 'loss IQR');
  const views: HeatmapView[] = [];
  elements.maps.replaceChildren();
  companion.members.forEach((member, k) => {
    const figure = Object.assign(document.createElement('figure'), { className: 'ensemble-iqr' });
    const plot = Object.assign(document.createElement('div'), { className: 'surface-plot iqr-plot' });
    const readout = Object.assign(document.createElement('p'), { className: 'map-readout', textContent: 'Hover the map for the median and IQR at a point.' });
    figure.append(Object.assign(document.createElement('figcaption'), { textContent: `${member.label}: IQR of the loss over k = ${member.k}` }), plot, readout);
    elements.maps.append(figure);
    const grid = grids[k]!;
    const median = gridFromResult({ kind: grid.kind, shape: [grid.ny, grid.nx], axes: companion.axes, loss: member.loss.median, accuracy: null });
    const view = new HeatmapView(plot, { colormap: IQR_COLORMAP, scale, levels: null, isolinesOnSurface: false, isolinesOnBase: false, wireframe: false, mapMode: 'heatmap', quantity: 'loss IQR' }, theme, {
      hover: ({ ix, iy }) => {
        view.setCursor({ ix, iy });
        const at = readPoint(grid, ix, iy);
        readout.textContent = `(${formatCoordinate(at.alpha)}, ${formatCoordinate(at.beta)}): median L ${formatNumber(readPoint(median, ix, iy).loss)}, IQR ${formatNumber(at.loss)}`;
      },
    });
    view.canvas.classList.add('iqr-map');
    view.canvas.setAttribute('aria-label', `Point-wise interquartile range of ${member.label}'s loss over ${member.k} direction pairs, shared log color scale`);
    view.setSharedRange(range);
    view.setGrid(grid);
    views.push(view);
  });
  return () => views.forEach((v) => v.dispose());
}
