import { ApiError, api } from '../api.ts';
import type { DatasetInfo, ModelRecord } from '../../../contract/index.ts';
import type { ComparisonRecord, EnsembleCompanion } from '../../../contract/comparisons.ts';
import { comparisonFinding } from '../../../contract/metrics/finding.ts';
import type { HessianMapResult } from '../../../contract/metrics/hessian.ts';
import type { SpectrumListItem, SpectrumResult } from '../../../contract/metrics/spectrum.ts';
import { surfaceMetrics } from '../../../contract/metrics/surface-metrics.ts';
import type { SurfaceResult } from '../../../contract/surface.ts';
import { drawColorbar } from '../colorbar.ts';
import { compareQuery, compareSurfaceIds } from '../comparison-list.ts';
import { formatNumber, formatPercent, formatPlusMinus, formatPoint } from '../format.ts';
import { gridFromResult, readPoint, type SurfaceGrid } from '../grid.ts';
import { HeatmapView } from '../heatmap.ts';
import { LineChart } from '../line-chart.ts';
import { finiteRange, transformGrid } from '../scale.ts';
import { THEMES, applyTheme, initialTheme } from '../theme.ts';
import { DifferenceSection } from './difference-section.ts';
import { renderEnsembleSection } from './ensemble-section.ts';
import { renderGradientFlow } from './gradient-flow-plot.ts';
import { RATIO_COLORMAP, RATIO_COLOR_MAX, renderHessianMap } from './hessian-map-view.ts';
import { renderMetricsTable } from './metrics-table.ts';
import { initialFlow, omittedFlows, readComparison, REPORT_SCALE, type ReportMember } from './model.ts';
import { memberRecipe, renderRecipeTable, undertrainedWarning, type MemberRecipe } from './recipe.ts';
import { SpectrumPanel, spectrumToShow } from './spectrum-view.ts';

/**
 * The report of one comparison (report.html?id=<comparison id>): the finding, each member's
 * training recipe (with a warning for an under-trained one), the surfaces as labelled contour maps
 * on one color scale with its color bar, the Hessian |λmin/λmax| maps and spectra, the metrics
 * table, the gradient-flow plot and, for a demo with one, its direction-ensemble companion. It
 * reads what the API has stored and computes nothing but metrics the comparison does not carry
 * (from the surface results, with contract/metrics, the same code the server runs). Reloads every
 * few seconds until every surface is finished.
 */
const REFRESH_MS = 5000;
const themeName = initialTheme();
applyTheme(themeName);
const theme = THEMES[themeName];

const $ = (id: string) => document.getElementById(id)!;
const differences = new DifferenceSection({
  minuend: $('difference-a') as HTMLSelectElement,
  subtrahend: $('difference-b') as HTMLSelectElement,
  plot: $('difference-plot'),
  colorbar: $('difference-colorbar') as HTMLCanvasElement,
  metrics: $('difference-metrics'),
  readout: $('difference-readout'),
}, theme, (a, b) => api.difference(a, b));
/** Views of the previous render, released before the next (the page re-renders while a comparison runs). */
let disposers: (() => void)[] = [];

async function getJson<T>(path: string): Promise<T | null> {
  const response = await fetch(path, { headers: { accept: 'application/json' } });
  if (response.status === 404 || response.status === 409 || response.status === 202) return null;
  if (!response.ok) throw new ApiError(response.status, `HTTP_${response.status}`, (await response.text()).slice(0, 200), null);
  return (await response.json()) as T;
}

async function sendJson<T>(method: 'POST', path: string, body: unknown): Promise<T> {
  const response = await fetch(path, { method, headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(body) });
  const text = await response.text();
  if (!response.ok) {
    const error = text ? (JSON.parse(text) as { code?: string; message?: string; field?: string }) : {};
    throw new ApiError(response.status, error.code ?? `HTTP_${response.status}`, error.message ?? text.slice(0, 200), error.field ?? null);
  }
  return JSON.parse(text) as T;
}

interface Loaded {
  member: ReportMember;
  result: SurfaceResult | null;
  hessianMap: HessianMapResult | null;
  model: ModelRecord | null;
  spectra: SpectrumListItem[];
}

const surfacePath = (id: string) => `/api/v1/surfaces/${encodeURIComponent(id)}`;

async function loadMember(member: ReportMember): Promise<Loaded> {
  const model = member.modelId ? getJson<ModelRecord>(`/api/v1/models/${encodeURIComponent(member.modelId)}`) : Promise.resolve(null);
  if (!member.surfaceId) return { member, result: null, hessianMap: null, model: await model, spectra: [] };
  let result: SurfaceResult | null = member.surface;
  if (!result && member.status !== 'pending' && member.status !== 'training' && member.status !== 'mapping' && member.status !== 'failed') {
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
  const [hessianMap, spectra] = await Promise.all([
    member.hessianState?.status === 'completed' ? getJson<HessianMapResult>(`${surfacePath(member.surfaceId)}/hessian`) : null,
    // Stored spectra only: the list is empty (200) when none was requested, so opening the report asks nothing to be computed.
    result ? getJson<{ items: SpectrumListItem[] }>(`${surfacePath(member.surfaceId)}/spectra`).then((r) => r?.items ?? []) : [],
  ]);
  return { member: { ...member, metrics }, result, hessianMap, model: await model, spectra };
}

/** What the Hessian map of a member is doing, when there is no map to draw yet. */
function hessianNote(member: ReportMember): string | null {
  const state = member.hessianState;
  if (!state) return 'No Hessian map: the comparison skipped it.';
  if (state.status === 'completed') return null;
  if (state.status === 'failed') return `Hessian map failed: ${state.error ?? 'unknown error'}`;
  return `Hessian map ${state.status}: ${state.progress.done} of ${state.progress.total} points`;
}

function renderRecipes(recipes: MemberRecipe[]): void {
  $('recipes').replaceChildren(renderRecipeTable(recipes));
  const warnings = recipes.map((r) => undertrainedWarning(r, recipes)).filter((w): w is string => w !== null);
  $('warnings').replaceChildren(...warnings.map((text) => Object.assign(document.createElement('p'), { className: 'warning', textContent: `⚠ ${text}` })));
}

/** What a researcher reads at a grid point: where, the loss ± its standard error over the samples (when recorded), the accuracy. */
function pointReadout(grid: SurfaceGrid, ix: number, iy: number, accuracyName: string): string {
  const at = readPoint(grid, ix, iy);
  const stdError = at.lossStdError === null ? '' : `${formatPlusMinus(at.lossStdError)} (se)`;
  const accuracy = at.accuracy === null ? '' : `, ${accuracyName} ${formatPercent(at.accuracy)}`;
  return `${formatPoint(at.alpha, at.beta)}: L ${formatNumber(at.loss)}${stdError}${accuracy}`;
}

function renderSurfaces(loaded: Loaded[], recipes: MemberRecipe[], accuracyName: string): void {
  const container = $('surfaces');
  container.replaceChildren();
  const grids = loaded.map((l) => (l.result ? gridFromResult(l.result) : null));
  const shared = finiteRange(grids.filter((g) => g?.kind === '2d').map((g) => transformGrid(g!.loss, REPORT_SCALE)));
  drawColorbar($('surface-colorbar') as HTMLCanvasElement, 'viridis', shared, REPORT_SCALE, theme);
  loaded.forEach(({ member }, k) => {
    const figure = document.createElement('figure');
    figure.className = 'surface';
    // Two lines whatever the member (name; test accuracy and any warning), so the maps line up.
    const caption = document.createElement('figcaption');
    const recipe = recipes[k]!;
    const detail = Object.assign(document.createElement('span'), { className: 'caption-detail', textContent: recipe.testAccuracy === null ? 'recipe unknown' : `test ${recipe.accuracyName} ${formatPercent(recipe.testAccuracy)}` });
    const warning = undertrainedWarning(recipe, recipes);
    if (warning) detail.append(Object.assign(document.createElement('span'), { className: 'caption-warning', textContent: ' ⚠ under-trained', title: warning }));
    caption.append(member.label, detail);
    const plot = document.createElement('div');
    plot.className = 'surface-plot';
    const readout = Object.assign(document.createElement('p'), { className: 'map-readout' });
    figure.append(caption, plot, readout);
    container.append(figure);
    const grid = grids[k];
    if (!grid) {
      plot.textContent = member.error ? `failed: ${member.error}` : `${member.status}…`;
      return;
    }
    if (grid.kind === '2d') {
      // Filled contours of the bilinear interpolant with labelled lines, levels from the shared range: the same for every member.
      const view = new HeatmapView(plot, { colormap: 'viridis', scale: REPORT_SCALE, levels: null, isolinesOnSurface: false, isolinesOnBase: true, wireframe: false, mapMode: 'filled' }, theme, {
        hover: ({ ix, iy }) => {
          view.setCursor({ ix, iy });
          readout.textContent = pointReadout(grid, ix, iy, accuracyName);
        },
      });
      view.canvas.setAttribute('aria-label', `Contour map of ${member.label}'s loss over α and β, levels labelled, shared log color scale`);
      view.setSharedRange(shared);
      view.setGrid(grid);
      disposers.push(() => view.dispose());
    } else {
      const chart = new LineChart(plot, { title: '', xLabel: 'α', height: 260, onCursor: (ix) => (readout.textContent = pointReadout(grid, ix, 0, accuracyName)) }, theme, true);
      chart.setData({ x: grid.x, loss: grid.loss, accuracy: grid.accuracy, lossStdError: grid.lossStdError });
      disposers.push(() => chart.dispose());
    }
  });
}

function renderCurvature(loaded: Loaded[]): void {
  const container = $('curvature');
  container.replaceChildren();
  const ratioBar = $('ratio-colorbar') as HTMLCanvasElement;
  const anyMap = loaded.some((l) => l.hessianMap);
  ratioBar.hidden = !anyMap;
  if (anyMap) drawColorbar(ratioBar, RATIO_COLORMAP, { min: 0, max: RATIO_COLOR_MAX }, { scale: 'linear', epsilon: 0, clip: null }, theme, '|λmin/λmax|');
  for (const { member, hessianMap, result, spectra } of loaded) {
    const row = document.createElement('div');
    row.className = 'curvature-row';
    row.dataset.member = member.label;
    const figure = document.createElement('figure');
    figure.className = 'hessian';
    figure.append(Object.assign(document.createElement('figcaption'), { textContent: member.label }));
    if (hessianMap) {
      const note = `|λmin/λmax| of the full Hessian over a ${hessianMap.shape[1]}×${hessianMap.shape[0]} sub-grid (dark = locally convex)`;
      figure.append(renderHessianMap(hessianMap, theme), Object.assign(document.createElement('p'), { className: 'hessian-note', textContent: note }));
    } else {
      figure.append(Object.assign(document.createElement('p'), { className: 'hessian-note', textContent: hessianNote(member) ?? '' }));
    }
    const surfaceId = member.surfaceId;
    const panel = new SpectrumPanel(member.label, theme, surfaceId && result
      ? {
          request: async () => {
            // 200 with the result when this spectrum exists already, else 202 with its id and progress.
            const reply = await sendJson<SpectrumResult | Omit<SpectrumListItem, 'result'>>('POST', `${surfacePath(surfaceId)}/spectrum`, {});
            return 'density' in reply ? { id: '', status: 'completed', progress: null, error: null, result: reply } : { ...reply, result: null };
          },
          poll: async (id) => {
            const items = (await getJson<{ items: SpectrumListItem[] }>(`${surfacePath(surfaceId)}/spectra`))?.items ?? [];
            return items.find((item) => item.id === id) ?? { id, status: 'failed', progress: null, error: 'the spectrum is no longer listed', result: null };
          },
        }
      : null);
    panel.show(spectrumToShow(spectra));
    disposers.push(() => panel.dispose());
    row.append(figure, panel.element);
    container.append(row);
  }
}

async function render(id: string, datasets: DatasetInfo[]): Promise<boolean> {
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
  const [loaded, companion] = await Promise.all([
    Promise.all(comparison.members.map(loadMember)),
    raw.links.ensemble ? getJson<EnsembleCompanion>(raw.links.ensemble) : null,
  ]);
  const surfaceDataset = (raw.request as { shared?: { dataset?: { id?: string } } }).shared?.dataset?.id ?? '';
  const recipes = loaded.map(({ member, model }) => memberRecipe(member.label, model, datasets, surfaceDataset));
  const accuracyName = recipes.some((r) => r.accuracyName === 'IoU') ? 'IoU' : 'accuracy';
  const entries = loaded.filter((l) => l.member.metrics).map(({ member }) => ({
    label: member.label, metrics: member.metrics!, hessian: member.hessian, gradientFlow: initialFlow(member),
  }));
  // The server's finding when the comparison is done; while it runs, one from the members so far.
  $('finding').textContent = raw.finding ?? comparisonFinding(entries);
  disposers.forEach((dispose) => dispose());
  disposers = [];
  renderRecipes(recipes);
  renderSurfaces(loaded, recipes, accuracyName);
  $('ensemble').hidden = !companion;
  if (companion) {
    disposers.push(renderEnsembleSection({
      heading: $('ensemble-heading'), note: $('ensemble-note'), finding: $('ensemble-finding'), metrics: $('ensemble-metrics'), maps: $('ensemble-maps'), colorbar: $('ensemble-colorbar') as HTMLCanvasElement,
    }, companion, theme));
  }
  // Members on identical grids, samples and directions (a comparison's are): L_A − L_B of any two finished 2D surfaces.
  const mapped = loaded.filter((l) => l.result?.kind === '2d' && l.member.surfaceId).map((l) => ({ label: l.member.label, surfaceId: l.member.surfaceId! }));
  $('differences').hidden = mapped.length < 2;
  if (mapped.length >= 2) await differences.setMembers(mapped);
  renderCurvature(loaded);
  $('metrics').replaceChildren(renderMetricsTable(loaded.map(({ member }) => ({ label: member.label, metrics: member.metrics, hessian: member.hessian })), accuracyName));
  const flow = $('gradient-flow');
  flow.replaceChildren();
  const flowPlot = renderGradientFlow(flow, loaded.map(({ member }) => member), theme);
  if (flowPlot) disposers.push(() => flowPlot.destroy());
  const omitted = omittedFlows(loaded.map(({ member }) => member));
  $('gradient-flow-omitted').hidden = omitted.length === 0;
  $('gradient-flow-omitted').textContent = omitted.join('. ');
  return comparison.status !== 'running';
}

async function main(): Promise<void> {
  const id = new URLSearchParams(location.search).get('id');
  if (!id) {
    $('finding').textContent = 'Open this page as report.html?id=<comparison id>.';
    return;
  }
  try {
    const datasets = await api.datasets();
    const refresh = async () => {
      if (!(await render(id, datasets))) setTimeout(() => void refresh().catch(fail), REFRESH_MS);
    };
    await refresh();
  } catch (error) {
    fail(error);
  }
}

function fail(error: unknown): void {
  $('finding').textContent = `The report could not be built: ${(error as Error).message}`;
}

void main();
