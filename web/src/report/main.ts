import { ApiError, api } from '../api.ts';
import type { ComparisonRecord } from '../../../contract/comparisons.ts';
import { comparisonFinding } from '../../../contract/metrics/finding.ts';
import type { HessianMapResult } from '../../../contract/metrics/hessian.ts';
import { surfaceMetrics } from '../../../contract/metrics/surface-metrics.ts';
import type { SurfaceResult } from '../../../contract/surface.ts';
import { compareQuery, compareSurfaceIds } from '../comparison-list.ts';
import { gridFromResult } from '../grid.ts';
import { HeatmapView } from '../heatmap.ts';
import { LineChart } from '../line-chart.ts';
import { finiteRange, transformGrid, type ScaleOptions } from '../scale.ts';
import { THEMES, applyTheme, initialTheme } from '../theme.ts';
import { renderGradientFlow } from './gradient-flow-plot.ts';
import { renderHessianMap } from './hessian-map-view.ts';
import { renderMetricsTable } from './metrics-table.ts';
import { initialFlow, readComparison, type ReportMember } from './model.ts';

/**
 * The report of one comparison (report.html?id=<comparison id>): the finding, the surfaces side by
 * side on one color scale, the metrics table and the gradient-flow plot. Metrics the comparison
 * does not carry are computed here from the surface results (contract/metrics, the same code the
 * server runs). Reloads every few seconds until every surface is finished.
 */
const REFRESH_MS = 5000;
const SCALE: ScaleOptions = { scale: 'log', epsilon: 0.1, clip: null };
const themeName = initialTheme();
applyTheme(themeName);
const theme = THEMES[themeName];

const $ = (id: string) => document.getElementById(id)!;
/** Views of the previous render, released before the next (the page re-renders while a comparison runs). */
let disposers: (() => void)[] = [];

async function getJson<T>(path: string): Promise<T | null> {
  const response = await fetch(path, { headers: { accept: 'application/json' } });
  if (response.status === 404 || response.status === 409 || response.status === 202) return null;
  if (!response.ok) throw new ApiError(response.status, `HTTP_${response.status}`, (await response.text()).slice(0, 200), null);
  return (await response.json()) as T;
}

interface Loaded {
  member: ReportMember;
  result: SurfaceResult | null;
  hessianMap: HessianMapResult | null;
}

async function loadMember(member: ReportMember): Promise<Loaded> {
  if (!member.surfaceId) return { member, result: null, hessianMap: null };
  let result: SurfaceResult | null = member.surface;
  if (!result && member.status === 'completed') {
    try {
      result = await api.result(member.surfaceId);
    } catch (error) {
      if (!(error instanceof ApiError && (error.status === 409 || error.status === 404))) throw error;
    }
  }
  let metrics = member.metrics;
  try {
    metrics ??= result ? surfaceMetrics(result) : null;
  } catch {
    metrics = null; // a surface without a single finite point has no metrics; the table shows dashes
  }
  const hessianMap = member.hessianState?.status === 'completed'
    ? await getJson<HessianMapResult>(`/api/v1/surfaces/${encodeURIComponent(member.surfaceId)}/hessian`)
    : null;
  return { member: { ...member, metrics }, result, hessianMap };
}

/** What the Hessian map of a member is doing, when there is no map to draw yet. */
function hessianNote(member: ReportMember): string | null {
  const state = member.hessianState;
  if (!state || state.status === 'completed') return null;
  if (state.status === 'failed') return `Hessian map failed: ${state.error ?? 'unknown error'}`;
  return `Hessian map ${state.status}: ${state.progress.done} of ${state.progress.total} points`;
}

function renderSurfaces(container: HTMLElement, loaded: Loaded[]): void {
  container.replaceChildren();
  const grids = loaded.map((l) => (l.result ? gridFromResult(l.result) : null));
  const shared = finiteRange(grids.filter((g) => g?.kind === '2d').map((g) => transformGrid(g!.loss, SCALE)));
  loaded.forEach(({ member, hessianMap }, k) => {
    const figure = document.createElement('figure');
    figure.className = 'surface';
    const caption = document.createElement('figcaption');
    caption.textContent = member.label;
    const plot = document.createElement('div');
    plot.className = 'surface-plot';
    figure.append(caption, plot);
    const note = document.createElement('p');
    note.className = 'hessian-note';
    if (hessianMap) {
      note.textContent = `|λmin/λmax| of the full Hessian over a ${hessianMap.shape[1]}×${hessianMap.shape[0]} sub-grid (dark = locally convex):`;
      figure.append(note, renderHessianMap(hessianMap, theme));
    } else if (hessianNote(member)) {
      note.textContent = hessianNote(member);
      figure.append(note);
    }
    container.append(figure);
    const grid = grids[k];
    if (!grid) {
      plot.textContent = member.error ? `failed: ${member.error}` : `${member.status}…`;
      return;
    }
    if (grid.kind === '2d') {
      const view = new HeatmapView(plot, { colormap: 'viridis', scale: SCALE, levels: null, isolinesOnSurface: false, isolinesOnBase: true, wireframe: false, mapMode: 'filled' }, theme);
      view.setSharedRange(shared);
      view.setGrid(grid);
      disposers.push(() => view.dispose());
    } else {
      const chart = new LineChart(plot, { title: '', xLabel: 'α', height: 260 }, theme, true);
      chart.setData({ x: grid.x, loss: grid.loss, accuracy: grid.accuracy });
      disposers.push(() => chart.dispose());
    }
  });
}

async function render(id: string): Promise<boolean> {
  const raw = await getJson<ComparisonRecord>(`/api/v1/comparisons/${encodeURIComponent(id)}`);
  if (raw === null) throw new Error(`There is no comparison "${id}".`);
  const comparison = readComparison(raw);
  document.title = `${comparison.name} · Loss Atlas report`;
  $('title').textContent = comparison.name;
  $('status').textContent = `status: ${comparison.status} · ${comparison.members.map((m) => `${m.label}: ${m.status}`).join(' · ')}`;
  const surfaceIds = compareSurfaceIds(comparison.members);
  const open3d = $('open-3d') as HTMLAnchorElement;
  open3d.hidden = surfaceIds.length === 0;
  if (surfaceIds.length > 0) open3d.href = `./${compareQuery(surfaceIds)}`;
  const loaded = await Promise.all(comparison.members.map(loadMember));
  const entries = loaded.filter((l) => l.member.metrics).map(({ member }) => ({
    label: member.label, metrics: member.metrics!, hessian: member.hessian, gradientFlow: initialFlow(member),
  }));
  // The server's finding when the comparison is done; while it runs, one from the members so far.
  $('finding').textContent = raw.finding ?? comparisonFinding(entries);
  disposers.forEach((dispose) => dispose());
  disposers = [];
  renderSurfaces($('surfaces'), loaded);
  $('metrics').replaceChildren(renderMetricsTable(loaded.map(({ member }) => ({ label: member.label, metrics: member.metrics, hessian: member.hessian }))));
  const flow = $('gradient-flow');
  flow.replaceChildren();
  const flowPlot = renderGradientFlow(flow, loaded.map(({ member }) => member), theme);
  if (flowPlot) disposers.push(() => flowPlot.destroy());
  return comparison.status !== 'running';
}

async function main(): Promise<void> {
  const id = new URLSearchParams(location.search).get('id');
  if (!id) {
    $('finding').textContent = 'Open this page as report.html?id=<comparison id>.';
    return;
  }
  try {
    if (!(await render(id))) setTimeout(() => void main(), REFRESH_MS);
  } catch (error) {
    $('finding').textContent = `The report could not be built: ${(error as Error).message}`;
  }
}

void main();
