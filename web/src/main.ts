import './style.css';
import type { SurfaceRecord, SurfaceRequest } from '../../contract/index.ts';
import { ApiError, api } from './api.ts';
import { drawColorbar } from './colorbar.ts';
import { CompareView } from './compare.ts';
import { ComparisonList } from './comparison-list.ts';
import { parseLevelSpec, type LevelSpec } from './contours.ts';
import { createControls, type ViewSettings } from './controls.ts';
import { downloadBlob, surfaceToCsv, surfaceToJson } from './export.ts';
import { SurfaceFeed } from './feed.ts';
import { DEFAULT_JOB, JobForm } from './form.ts';
import { formatCoordinate, formatNumber, formatPercent } from './format.ts';
import { FINITE, NON_FINITE, readPoint } from './grid.ts';
import { HeatmapView } from './heatmap.ts';
import { LineChart } from './line-chart.ts';
import { SurfaceView, type CameraState, type GridCursor, type SurfaceStyle } from './surface-view.ts';
import { THEMES, applyTheme, initialTheme, type ThemeName } from './theme.ts';
import { MAX_COMPARE, parseViewState, serializeViewState, type ViewState } from './url-state.ts';

const element = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** What browser tests reach for: where a grid point is on screen, and when rows first appeared. */
export interface LossAtlasHooks {
  projectGridPoint(ix: number, iy: number, view?: '3d' | '2d'): { x: number; y: number } | null;
  projectComparePoint(panel: number, ix: number, iy: number): { x: number; y: number } | null;
  currentSurface(): string | null;
  timeline: { submittedAt: number | null; firstRowsDrawnAt: number | null };
}

declare global {
  interface Window {
    lossAtlas: LossAtlasHooks;
  }
}

class App {
  private state: ViewState = parseViewState(location.search);
  private theme: ThemeName = initialTheme();
  private readonly settings: ViewSettings;
  private levels: LevelSpec | null = null;
  private feed: SurfaceFeed | null = null;
  private cursor: GridCursor | null = null;
  private compare: CompareView | null = null;
  private readonly surfaceView: SurfaceView;
  private readonly heatmap: HeatmapView;
  private readonly chart1d: LineChart;
  private readonly sliceAlpha: LineChart;
  private readonly sliceBeta: LineChart;
  private readonly form: JobForm;
  private readonly comparisonList: ComparisonList;
  private readonly compareSelection = new Set<string>();
  private cameraTimer: number | undefined;
  private refreshRequested = false;
  readonly timeline: LossAtlasHooks['timeline'] = { submittedAt: null, firstRowsDrawnAt: null };

  constructor() {
    applyTheme(this.theme);
    this.settings = {
      colormap: this.state.colormap,
      scale: this.state.scale,
      epsilon: 0.1,
      clip: this.state.clip ?? 0,
      levels: this.state.levels ?? 'auto',
      isolinesOnSurface: true,
      isolinesOnBase: true,
      wireframe: this.state.wireframe,
      view: this.state.view,
      mapMode: 'filled',
    };
    this.levels = this.parseLevels(this.settings.levels);
    const colors = THEMES[this.theme];
    const hover = (cursor: GridCursor) => this.setCursor(cursor);
    this.surfaceView = new SurfaceView(element('view3d'), this.style(), colors, {
      hover,
      camera: (camera) => this.onCamera(camera),
    });
    if (this.state.camera) this.surfaceView.setCamera(this.state.camera);
    this.heatmap = new HeatmapView(element('view2d'), { ...this.style(), mapMode: this.settings.mapMode }, colors, { hover });
    this.chart1d = new LineChart(element('chart1d'), { title: 'loss and accuracy along α', xLabel: 'α', height: 420, onCursor: (ix) => this.setCursor({ ix, iy: 0 }) }, colors, this.settings.scale === 'log');
    this.sliceAlpha = new LineChart(element('slices'), { title: 'along α', xLabel: 'α', height: 125, compact: true }, colors, this.settings.scale === 'log');
    this.sliceBeta = new LineChart(element('slices'), { title: 'along β', xLabel: 'β', height: 125, compact: true }, colors, this.settings.scale === 'log');
    for (const canvas of [this.surfaceView.canvas, this.heatmap.canvas]) canvas.addEventListener('keydown', (event) => this.onArrowKey(event));

    createControls(element('gui'), this.settings, () => this.onSettings(), {
      exportPng: () => this.exportPng(),
      exportCsv: () => this.exportData('csv'),
      exportJson: () => this.exportData('json'),
      copyLink: () => void navigator.clipboard?.writeText(location.href).then(() => this.notice('Link copied.')),
      resetCamera: () => (this.compare ? this.compare.resetCamera() : this.surfaceView.resetCamera()),
    });
    this.comparisonList = new ComparisonList(element('comparison-list'), (surfaceIds) => this.navigate({ ...this.state, compare: surfaceIds, surface: null }));
    this.form = new JobForm(element<HTMLFormElement>('job-form'), (request) => this.submit(request), (error) => this.showError(error));
    element('theme-toggle').addEventListener('click', () => this.toggleTheme());
    element('cancel-job').addEventListener('click', () => void this.cancel());
    element('refresh-surfaces').addEventListener('click', () => void this.refreshList());
    element('compare-selected').addEventListener('click', () => this.navigate({ ...this.state, compare: [...this.compareSelection], surface: null }));
    element('compare-demo').addEventListener('click', () => void this.compareDemoNets());
    element('home-link').addEventListener('click', (event) => {
      event.preventDefault();
      this.navigate({ ...this.state, surface: null, compare: [], camera: null });
    });
    window.addEventListener('popstate', () => {
      this.state = parseViewState(location.search);
      void this.applyRoute();
    });
    this.updateThemeButton();

    window.lossAtlas = {
      projectGridPoint: (ix, iy, view = '3d') => (view === '3d' ? this.surfaceView.projectGridPoint(ix, iy) : this.heatmap.projectGridPoint(ix, iy)),
      projectComparePoint: (panel, ix, iy) => this.compare?.projectGridPoint(panel, ix, iy) ?? null,
      currentSurface: () => this.feed?.id ?? null,
      timeline: this.timeline,
    };
  }

  async start(): Promise<void> {
    await Promise.all([this.form.load().catch((error) => this.showError(error)), this.refreshList()]);
    await this.applyRoute();
  }

  private style(): SurfaceStyle {
    return {
      colormap: this.settings.colormap,
      scale: { scale: this.settings.scale, epsilon: this.settings.epsilon, clip: this.settings.clip > 0 ? this.settings.clip : null },
      levels: this.levels,
      isolinesOnSurface: this.settings.isolinesOnSurface,
      isolinesOnBase: this.settings.isolinesOnBase,
      wireframe: this.settings.wireframe,
    };
  }

  private parseLevels(text: string): LevelSpec | null {
    try {
      return parseLevelSpec(text);
    } catch (error) {
      this.showError(error);
      return this.levels;
    }
  }

  // ---- routing -------------------------------------------------------------------------------

  private navigate(state: ViewState): void {
    this.state = state;
    history.pushState(null, '', `/${serializeViewState(state)}`);
    void this.applyRoute();
  }

  private writeUrl(): void {
    history.replaceState(null, '', `/${serializeViewState(this.state)}`);
  }

  private async applyRoute(): Promise<void> {
    const comparing = this.state.compare.length >= 2;
    element('intro').hidden = comparing || this.state.surface !== null;
    element('single').hidden = comparing || this.state.surface === null;
    element('compare').hidden = !comparing;
    this.compare?.dispose();
    this.compare = null;
    if (comparing) {
      this.closeFeed();
      this.compare = new CompareView(element('compare-panels'), element<HTMLCanvasElement>('compare-colorbar'), this.style(), THEMES[this.theme], {
        camera: (camera) => this.onCamera(camera),
        error: (error) => this.showError(error),
      });
      await this.compare.open(this.state.compare, this.state.camera);
      return;
    }
    if (this.state.compare.length === 1) this.showError(new Error('A comparison needs 2 to 6 surfaces.'));
    if (this.state.surface && this.state.surface !== this.feed?.id) await this.openSurface(this.state.surface);
    if (!this.state.surface) this.closeFeed();
    this.highlightCurrent();
  }

  // ---- single surface ------------------------------------------------------------------------

  private closeFeed(): void {
    this.feed?.close();
    this.feed = null;
    this.cursor = null;
  }

  private async openSurface(id: string): Promise<void> {
    this.closeFeed();
    this.surfaceView.setGrid(null);
    this.heatmap.setGrid(null);
    element('surface-title').textContent = `Surface ${id}`;
    try {
      this.feed = await SurfaceFeed.open(id, {
        data: (feed) => {
          if (feed !== this.feed) return;
          this.requestRefresh();
        },
        status: (feed) => {
          if (feed !== this.feed) return;
          this.showStatus();
          if (feed.status !== 'running' && feed.status !== 'queued') void this.refreshList();
        },
      });
    } catch (error) {
      this.showError(error);
      element('progress-text').textContent = 'could not open this surface';
      return;
    }
    this.describe(this.feed.record);
    this.showStatus();
    this.refreshSurface();
  }

  private requestRefresh(): void {
    if (this.refreshRequested) return;
    this.refreshRequested = true;
    requestAnimationFrame(() => {
      this.refreshRequested = false;
      this.refreshSurface();
    });
  }

  /** Redraws every view of the single surface from the feed's grid. */
  private refreshSurface(): void {
    const feed = this.feed;
    if (!feed) return;
    const grid = feed.grid;
    const oneD = grid.kind === '1d';
    element('views').classList.toggle('one-d', oneD);
    element('views').classList.toggle('map-main', !oneD && this.settings.view === '2d');
    element('view3d').hidden = oneD;
    element('chart1d').hidden = !oneD;
    element('side-view').hidden = oneD;
    element('colorbar').hidden = oneD;
    if (oneD) {
      this.chart1d.setData({ x: grid.x, loss: grid.loss, accuracy: grid.accuracy }, this.cursor ? grid.x[this.cursor.ix] : null);
    } else {
      this.surfaceView.setGrid(grid);
      this.heatmap.setGrid(grid);
      drawColorbar(element<HTMLCanvasElement>('colorbar'), this.settings.colormap, this.surfaceView.displayedRange(), this.style().scale, THEMES[this.theme]);
      this.updateSlices();
    }
    if (grid.computed > 0 && this.timeline.submittedAt !== null && this.timeline.firstRowsDrawnAt === null) this.timeline.firstRowsDrawnAt = performance.now();
    if (this.cursor) this.setCursor(this.cursor);
  }

  private showStatus(): void {
    const feed = this.feed;
    if (!feed) return;
    const { done, total } = feed.progress;
    const progress = element<HTMLProgressElement>('job-progress');
    progress.max = Math.max(1, total);
    progress.value = feed.status === 'completed' ? progress.max : done;
    const percent = total > 0 ? Math.floor((100 * (feed.status === 'completed' ? total : done)) / total) : 0;
    const text = element('progress-text');
    text.classList.toggle('failed', feed.error !== null);
    text.textContent =
      feed.status === 'completed'
        ? `completed · ${total} points · 100 %`
        : feed.status === 'failed' || feed.status === 'lost'
          ? `failed: ${feed.error?.message ?? 'unknown error'}${feed.error?.code ? ` (${feed.error.code})` : ''}`
          : feed.status === 'cancelled'
            ? `cancelled at ${done} / ${total} points`
            : `${feed.status} · ${done} / ${total} points · ${percent} %`;
    progress.dataset.percent = String(feed.status === 'completed' ? 100 : percent);
    element<HTMLButtonElement>('cancel-job').hidden = feed.status !== 'running' && feed.status !== 'queued';
    if (feed.status === 'failed' && feed.error) this.showError(new ApiError(500, feed.error.code, `Surface ${feed.id} failed: ${feed.error.message}`, null));
    if (feed.status === 'completed') this.describe(feed.record);
  }

  private describe(record: SurfaceRecord): void {
    const { provenance: p, request } = record;
    const grid = request.grid.y ? `${request.grid.x.num}×${request.grid.y.num} over α [${request.grid.x.min}, ${request.grid.x.max}], β [${request.grid.y.min}, ${request.grid.y.max}]` : `${request.grid.x.num} points over α [${request.grid.x.min}, ${request.grid.x.max}]`;
    element('surface-title').textContent = `${record.name ?? p.model.name} · ${grid}`;
    const seconds = record.timings.secondsPerPoint;
    element('provenance').textContent =
      `model ${p.model.id} (${p.model.parameterCount.toLocaleString('en')} parameters) · ${p.dataset.id} ${p.dataset.split}, ${p.dataset.samples} samples · ` +
      `directions ${p.directions.normalization}, ignore ${p.directions.ignore}, ${p.directions.mode}, seed ${p.directions.seed}` +
      `${p.directions.cosine !== null ? `, cos(δ, η) = ${formatNumber(p.directions.cosine, 3)}` : ''} · loss ${p.loss}` +
      `${p.engine ? ` · ${p.engine.name}/${p.engine.backend}` : ''}${seconds ? ` · ${formatNumber(seconds * 1000, 3)} ms per point` : ''} · id ${record.id}`;
  }

  private setCursor(cursor: GridCursor): void {
    const feed = this.feed;
    if (!feed) return;
    this.cursor = cursor;
    const point = readPoint(feed.grid, cursor.ix, cursor.iy);
    const readout = element('readout');
    const where = `α = ${formatCoordinate(point.alpha)}${point.beta === null ? '' : `, β = ${formatCoordinate(point.beta)}`}`;
    const what =
      point.state === FINITE
        ? `loss = ${formatNumber(point.loss, 6)}, accuracy = ${point.accuracy === null ? '—' : formatPercent(point.accuracy, 2)}`
        : point.state === NON_FINITE
          ? 'loss is not finite (drawn as a hole)'
          : 'not computed yet';
    readout.textContent = `${where} · ${what}`;
    Object.assign(readout.dataset, {
      ix: String(point.ix),
      iy: String(point.iy),
      alpha: String(point.alpha),
      beta: String(point.beta ?? ''),
      loss: String(point.loss ?? ''),
      accuracy: String(point.accuracy ?? ''),
    });
    if (feed.grid.kind === '2d') {
      this.surfaceView.setCursor(cursor);
      this.heatmap.setCursor(cursor);
      this.updateSlices();
    } else {
      this.chart1d.setMarker(point.alpha);
    }
  }

  private updateSlices(): void {
    const grid = this.feed?.grid;
    if (!grid || grid.kind !== '2d') return;
    const { ix, iy } = this.cursor ?? { ix: Math.floor(grid.nx / 2), iy: Math.floor(grid.ny / 2) };
    const row = (values: Float64Array | null) => (values ? values.subarray(iy * grid.nx, (iy + 1) * grid.nx) : null);
    const column = (values: Float64Array | null) => (values ? Float64Array.from({ length: grid.ny }, (_, j) => values[j * grid.nx + ix]) : null);
    this.sliceAlpha.setData({ x: grid.x, loss: row(grid.loss)!, accuracy: row(grid.accuracy) }, grid.x[ix]);
    this.sliceBeta.setData({ x: grid.y, loss: column(grid.loss)!, accuracy: column(grid.accuracy) }, grid.y[iy]);
    this.sliceAlpha.setTitle(`loss (—) and accuracy % (- -) along α at β = ${formatCoordinate(grid.y[iy])}`);
    this.sliceBeta.setTitle(`along β at α = ${formatCoordinate(grid.x[ix])}`);
  }

  private onArrowKey(event: KeyboardEvent): void {
    const grid = this.feed?.grid;
    const moves: Record<string, [number, number]> = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
    const move = moves[event.key];
    if (!grid || !move) return;
    event.preventDefault();
    const { ix, iy } = this.cursor ?? { ix: Math.floor(grid.nx / 2), iy: Math.floor(grid.ny / 2) };
    this.setCursor({ ix: Math.min(grid.nx - 1, Math.max(0, ix + move[0])), iy: Math.min(grid.ny - 1, Math.max(0, iy + move[1])) });
  }

  // ---- jobs ----------------------------------------------------------------------------------

  private async submit(request: SurfaceRequest): Promise<void> {
    this.timeline.submittedAt = performance.now();
    this.timeline.firstRowsDrawnAt = null;
    const created = await api.createSurface(request);
    this.clearMessages();
    void this.refreshList();
    this.navigate({ ...this.state, surface: created.id, compare: [] });
  }

  private async cancel(): Promise<void> {
    if (!this.feed) return;
    try {
      await api.cancelSurface(this.feed.id);
    } catch (error) {
      this.showError(error);
    }
  }

  /**
   * Opens the skip vs no-skip comparison: the newest finished 2D surfaces of both demo nets with
   * the same grid, or, when there are none, starts both with the form's settings.
   */
  private async compareDemoNets(): Promise<void> {
    const models = [DEFAULT_JOB.model, 'demo-cnn-plain'];
    try {
      const surfaces = await api.surfaces();
      const usable = (model: string) => surfaces.filter((s) => s.request.model === model && s.kind === '2d' && s.status !== 'failed' && s.status !== 'cancelled');
      const key = (s: SurfaceRecord) => JSON.stringify([s.request.grid, s.request.dataset, s.request.directions ?? {}]);
      for (const skip of usable(models[0])) {
        const plain = usable(models[1]).find((s) => key(s) === key(skip));
        if (plain) return this.navigate({ ...this.state, compare: [skip.id, plain.id], surface: null });
      }
      const request = this.form.readRequest();
      if (!request.grid.y) request.grid.y = { ...request.grid.x };
      const ids = [];
      for (const model of models) ids.push((await api.createSurface({ ...request, model, name: undefined })).id);
      void this.refreshList();
      this.navigate({ ...this.state, compare: ids, surface: null });
    } catch (error) {
      this.showError(error);
    }
  }

  // ---- surfaces list -------------------------------------------------------------------------

  private async refreshList(): Promise<void> {
    await Promise.all([this.refreshSurfaces(), this.comparisonList.refresh().catch((error) => this.showError(error))]);
  }

  private async refreshSurfaces(): Promise<void> {
    let surfaces: SurfaceRecord[];
    try {
      surfaces = await api.surfaces();
    } catch (error) {
      this.showError(error);
      return;
    }
    const list = element('surface-list');
    if (surfaces.length === 0) {
      list.textContent = 'No surfaces yet.';
      return;
    }
    list.replaceChildren(
      ...surfaces.map((surface) => {
        const item = document.createElement('div');
        item.className = 'surface-item';
        item.dataset.surfaceId = surface.id;
        const grid = surface.request.grid.y ? `${surface.request.grid.x.num}×${surface.request.grid.y.num}` : `1D ${surface.request.grid.x.num}`;
        const label = `${surface.name ?? surface.request.model} · ${grid}`;
        const tick = Object.assign(document.createElement('input'), { type: 'checkbox', checked: this.compareSelection.has(surface.id), disabled: surface.status !== 'completed' });
        tick.setAttribute('aria-label', `Compare ${label}`);
        tick.addEventListener('change', () => {
          if (tick.checked) this.compareSelection.add(surface.id);
          else this.compareSelection.delete(surface.id);
          this.updateCompareButton();
        });
        const open = Object.assign(document.createElement('button'), { type: 'button', textContent: label, title: `Open ${surface.id}` });
        open.addEventListener('click', () => this.navigate({ ...this.state, surface: surface.id, compare: [] }));
        const status = Object.assign(document.createElement('span'), { className: `status status-${surface.status}`, textContent: surface.status });
        item.append(tick, open, status);
        return item;
      }),
    );
    this.updateCompareButton();
    this.highlightCurrent();
  }

  private updateCompareButton(): void {
    const count = this.compareSelection.size;
    const button = element<HTMLButtonElement>('compare-selected');
    button.disabled = count < 2 || count > MAX_COMPARE;
    button.textContent = `Compare selected (${count})`;
  }

  private highlightCurrent(): void {
    for (const item of document.querySelectorAll<HTMLElement>('.surface-item')) item.classList.toggle('current', item.dataset.surfaceId === this.state.surface);
  }

  // ---- settings, camera, theme ---------------------------------------------------------------

  private onSettings(): void {
    this.levels = this.parseLevels(this.settings.levels);
    const style = this.style();
    this.state = {
      ...this.state,
      colormap: this.settings.colormap,
      scale: this.settings.scale,
      clip: style.scale.clip,
      levels: this.levels ? this.settings.levels : null,
      view: this.settings.view,
      wireframe: this.settings.wireframe,
    };
    this.writeUrl();
    this.surfaceView.setStyle(style);
    this.heatmap.setStyle({ ...style, mapMode: this.settings.mapMode });
    for (const chart of [this.chart1d, this.sliceAlpha, this.sliceBeta]) chart.setLog(this.settings.scale === 'log');
    this.compare?.setStyle(style);
    this.refreshSurface();
  }

  private onCamera(camera: CameraState): void {
    this.state = { ...this.state, camera };
    clearTimeout(this.cameraTimer);
    this.cameraTimer = window.setTimeout(() => this.writeUrl(), 300);
  }

  private toggleTheme(): void {
    this.theme = this.theme === 'light' ? 'dark' : 'light';
    applyTheme(this.theme);
    const colors = THEMES[this.theme];
    this.surfaceView.setTheme(colors);
    this.heatmap.setTheme(colors);
    for (const chart of [this.chart1d, this.sliceAlpha, this.sliceBeta]) chart.setTheme(colors);
    this.compare?.setTheme(colors);
    this.updateThemeButton();
    this.refreshSurface();
  }

  private updateThemeButton(): void {
    const button = element('theme-toggle');
    button.textContent = this.theme === 'light' ? 'Dark theme' : 'Light theme';
    button.setAttribute('aria-pressed', String(this.theme === 'dark'));
  }

  // ---- export --------------------------------------------------------------------------------

  private exportPng(): void {
    let image: HTMLCanvasElement | null;
    if (this.compare) image = this.compare.snapshot();
    else if (this.feed?.grid.kind === '1d') image = element('chart1d').querySelector('canvas');
    else if (this.feed) image = this.withColorbar(this.settings.view === '2d' ? this.heatmap.snapshot() : this.surfaceView.snapshot());
    else image = null;
    if (!image) return this.notice('Nothing to export yet.');
    const name = this.compare ? `compare-${this.state.compare.join('-')}` : `surface-${this.feed!.id}`;
    image.toBlob((blob) => blob && downloadBlob(blob, `${name}.png`), 'image/png');
  }

  private withColorbar(view: HTMLCanvasElement): HTMLCanvasElement {
    const colorbar = element<HTMLCanvasElement>('colorbar');
    const out = document.createElement('canvas');
    out.width = view.width + colorbar.width;
    out.height = Math.max(view.height, colorbar.height);
    const context = out.getContext('2d')!;
    context.fillStyle = THEMES[this.theme].background;
    context.fillRect(0, 0, out.width, out.height);
    context.drawImage(view, 0, 0);
    context.drawImage(colorbar, view.width, 0);
    return out;
  }

  private exportData(format: 'csv' | 'json'): void {
    const feeds = this.compare ? this.compare.feeds() : this.feed ? [this.feed] : [];
    if (feeds.length === 0) return this.notice('Nothing to export yet.');
    for (const feed of feeds) {
      const text = format === 'csv' ? surfaceToCsv(feed.grid) : surfaceToJson(feed.grid, { id: feed.id, status: feed.status, request: feed.record.request, provenance: feed.record.provenance });
      downloadBlob(new Blob([text], { type: format === 'csv' ? 'text/csv' : 'application/json' }), `surface-${feed.id}.${format}`);
    }
  }

  // ---- messages ------------------------------------------------------------------------------

  private showError(error: unknown): void {
    const message =
      error instanceof ApiError
        ? `${error.message}${error.field ? ` (field: ${error.field})` : ''}${error.status ? ` [${error.status} ${error.code}]` : ''}`
        : error instanceof Error
          ? error.message
          : String(error);
    this.message(message, 'alert');
  }

  private notice(text: string): void {
    this.message(text, 'status');
  }

  private message(text: string, role: 'alert' | 'status'): void {
    const box = document.createElement('div');
    box.className = 'message';
    box.setAttribute('role', role);
    const body = Object.assign(document.createElement('span'), { textContent: text });
    const close = Object.assign(document.createElement('button'), { type: 'button', textContent: '×', title: 'Dismiss' });
    close.setAttribute('aria-label', 'Dismiss message');
    close.addEventListener('click', () => box.remove());
    box.append(body, close);
    element('messages').append(box);
    if (role === 'status') setTimeout(() => box.remove(), 4000);
  }

  private clearMessages(): void {
    element('messages').replaceChildren();
  }
}

void new App().start();
