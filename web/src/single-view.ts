import type { SurfaceRecord } from '../../contract/index.ts';
import type { SurfaceDifference } from '../../contract/metrics/difference.ts';
import { NOISE_STANDARD_ERRORS } from '../../contract/metrics/surface-metrics.ts';
import { ApiError, api } from './api.ts';
import { drawColorbar } from './colorbar.ts';
import { DIVERGING_COLORMAP } from './colormap.ts';
import { SurfaceFeed } from './feed.ts';
import { formatCoordinate, formatNumber, formatPercent, formatPlusMinus } from './format.ts';
import { FINITE, gridFromResult, NON_FINITE, PREVIEW, readPoint, type SurfaceGrid } from './grid.ts';
import type { ColorField } from './heightfield.ts';
import { HeatmapView, type MapMode } from './heatmap.ts';
import { LineChart } from './line-chart.ts';
import { progressLine, surfaceCaption } from './surface-caption.ts';
import { SurfaceView, type CameraState, type GridCursor, type SurfaceStyle } from './surface-view.ts';
import type { ThemeColors } from './theme.ts';

const element = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

export interface SingleViewStyle extends SurfaceStyle {
  mapMode: MapMode;
  /** Which view is the big one for a 2D surface. */
  view: '3d' | '2d';
}

/** A difference surface L_A − L_B shown instead of a computing surface. */
interface ShownDifference {
  result: SurfaceDifference;
  grid: SurfaceGrid;
}

const DIFFERENCE_QUANTITY = 'L_A − L_B';

/** A finished grid drawn without a feed of its own: an ensemble's median (ensemble-view.ts). */
export interface StaticSurface {
  title: string;
  /** What the heights show (the z axis title). */
  quantity: string;
  /** Heights and the readout's loss and accuracy. */
  grid: SurfaceGrid;
  /** Colors of the 3D surface instead of its heights (the spread over the members), also drawn as the 2D map and on the color bar. */
  color: ColorField;
  /** color.values as a grid, for the 2D map. */
  map: SurfaceGrid;
  /** Further loss curves over the grid in the slices and the 1D chart (the quartiles), row-major like the grid. */
  bands: { name: string; values: Float64Array }[];
  status: string;
  caption: string;
  /** More readout text at a grid point. */
  readout(ix: number, iy: number): string;
}

export interface SingleViewEvents {
  camera(state: CameraState): void;
  error(error: unknown): void;
  /** The surface stopped running (completed, failed, cancelled or lost). */
  finished(): void;
  /** Rows of the surface were drawn (for the submit-to-first-rows measure). */
  drawn(computedPoints: number): void;
}

/**
 * One surface as it computes, in the page's "single" section: the 3D surface, the 2D map and the
 * slices through the cursor (or a loss/accuracy chart for a 1D surface), the progress line, the
 * readout under the cursor and the provenance. The views are built once and reused for every
 * surface; redraws are batched to one per animation frame. A difference surface (openDifference)
 * is drawn in the same views with the diverging colormap over a range symmetric about 0.
 */
export class SingleView {
  private feed: SurfaceFeed | null = null;
  private difference: ShownDifference | null = null;
  private shown: StaticSurface | null = null;
  private cursor: GridCursor | null = null;
  private readonly surfaceView: SurfaceView;
  private readonly heatmap: HeatmapView;
  private readonly chart1d: LineChart;
  private readonly sliceAlpha: LineChart;
  private readonly sliceBeta: LineChart;
  private refreshRequested = false;

  constructor(
    private style: SingleViewStyle,
    private theme: ThemeColors,
    private readonly events: SingleViewEvents,
  ) {
    const hover = (cursor: GridCursor) => this.setCursor(cursor);
    const log = style.scale.scale === 'log';
    this.surfaceView = new SurfaceView(element('view3d'), style, theme, { hover, camera: (camera) => this.events.camera(camera) });
    this.heatmap = new HeatmapView(element('view2d'), style, theme, { hover });
    this.chart1d = new LineChart(element('chart1d'), { title: 'loss and accuracy along α', xLabel: 'α', height: 420, onCursor: (ix) => this.setCursor({ ix, iy: 0 }) }, theme, log);
    this.sliceAlpha = new LineChart(element('slices'), { title: 'along α', xLabel: 'α', height: 125, compact: true }, theme, log);
    this.sliceBeta = new LineChart(element('slices'), { title: 'along β', xLabel: 'β', height: 125, compact: true }, theme, log);
    for (const canvas of [this.surfaceView.canvas, this.heatmap.canvas]) canvas.addEventListener('keydown', (event) => this.onArrowKey(event));
  }

  /** The surface shown, or null. */
  get id(): string | null {
    return this.feed?.id ?? null;
  }

  /** The record of the surface shown, or null. */
  get record(): SurfaceRecord | null {
    return this.feed?.record ?? null;
  }

  /** Whether a static surface (an ensemble's median) is shown. */
  get staticShown(): boolean {
    return this.shown !== null;
  }

  /** [A, B] of the difference shown, or null. */
  get differenceShown(): [string, string] | null {
    return this.difference ? [this.difference.result.a, this.difference.result.b] : null;
  }

  async open(id: string): Promise<void> {
    this.close();
    this.applyViewStyle();
    this.surfaceView.setGrid(null);
    this.heatmap.setGrid(null);
    this.surfaceView.setTrajectory(null);
    this.heatmap.setTrajectory(null);
    element('surface-title').textContent = `Surface ${id}`;
    try {
      this.feed = await SurfaceFeed.open(id, {
        data: (feed) => {
          if (feed === this.feed) this.requestRefresh();
        },
        status: (feed) => {
          if (feed !== this.feed) return;
          this.showStatus();
          if (feed.status !== 'running' && feed.status !== 'queued') this.events.finished();
        },
      });
    } catch (error) {
      this.events.error(error);
      element('progress-text').textContent = 'could not open this surface';
      return;
    }
    this.describe();
    this.showStatus();
    this.refresh();
  }

  /** L_A − L_B of two finished surfaces (GET /api/v1/surfaces/{a}/difference/{b}). */
  async openDifference(a: string, b: string): Promise<void> {
    this.close();
    this.surfaceView.setGrid(null);
    this.heatmap.setGrid(null);
    element('surface-title').textContent = `Difference ${a} − ${b}`;
    element('provenance').replaceChildren();
    try {
      const result = await api.difference(a, b);
      this.difference = { result, grid: gridFromResult(result) };
    } catch (error) {
      this.events.error(error);
      element('progress-text').textContent = 'could not compute this difference';
      return;
    }
    this.applyViewStyle();
    this.describe();
    this.showStatus();
    this.refresh();
  }

  /** A finished grid of its own (an ensemble's median), colored by another quantity. */
  showStatic(surface: StaticSurface): void {
    this.close();
    this.shown = surface;
    this.surfaceView.setColorField(surface.color);
    this.applyViewStyle();
    this.describe();
    this.showStatus();
    this.refresh();
  }

  /** Stops following the surface (the views keep their last image until the next one opens). */
  close(): void {
    this.feed?.close();
    this.feed = null;
    this.difference = null;
    if (this.shown) this.surfaceView.setColorField(null);
    this.shown = null;
    this.cursor = null;
  }

  async cancel(): Promise<void> {
    if (!this.feed) return;
    try {
      await api.cancelSurface(this.feed.id);
    } catch (error) {
      this.events.error(error);
    }
  }

  setStyle(style: SingleViewStyle): void {
    this.style = style;
    this.applyViewStyle();
    this.refresh();
  }

  /**
   * The style the views draw with: the chosen one, except that a difference is drawn with the
   * diverging colormap on a linear, unclipped scale (its values are signed).
   */
  private viewStyle(): SingleViewStyle {
    // Heights and colors of a static surface are different quantities: both drawn linear.
    if (this.shown) return { ...this.style, scale: { ...this.style.scale, scale: 'linear', clip: null }, quantity: this.shown.quantity };
    if (!this.difference) return this.style;
    return { ...this.style, colormap: DIVERGING_COLORMAP, scale: { ...this.style.scale, scale: 'linear', clip: null }, quantity: DIFFERENCE_QUANTITY };
  }

  private applyViewStyle(): void {
    const style = this.viewStyle();
    this.surfaceView.setStyle(style);
    this.heatmap.setStyle(style);
    // Symmetric about 0, so no difference is the colormap's middle (white) and mid-height.
    const largest = this.difference?.result.metrics.maxAbsolute;
    const range = this.difference ? (largest ? { min: -largest, max: largest } : { min: -0.5, max: 0.5 }) : null;
    this.surfaceView.setSharedRange(range);
    this.heatmap.setSharedRange(range);
    for (const chart of [this.chart1d, this.sliceAlpha, this.sliceBeta]) chart.setLog(style.scale.scale === 'log');
  }

  /** The grid shown: the surface's (with its preview while it refines progressively), or the difference's. */
  private get grid(): SurfaceGrid | null {
    return this.feed?.shown ?? this.difference?.grid ?? this.shown?.grid ?? null;
  }

  setTheme(theme: ThemeColors): void {
    this.theme = theme;
    this.surfaceView.setTheme(theme);
    this.heatmap.setTheme(theme);
    for (const chart of [this.chart1d, this.sliceAlpha, this.sliceBeta]) chart.setTheme(theme);
    this.refresh();
  }

  setCamera(camera: CameraState): void {
    this.surfaceView.setCamera(camera);
  }

  resetCamera(): void {
    this.surfaceView.resetCamera();
  }

  /** Window coordinates of a grid point in the 3D view or the 2D map (tests hover there). */
  projectGridPoint(ix: number, iy: number, view: '3d' | '2d'): { x: number; y: number } | null {
    return view === '3d' ? this.surfaceView.projectGridPoint(ix, iy) : this.heatmap.projectGridPoint(ix, iy);
  }

  /** Window coordinates of checkpoint k of a PCA surface's path in the 3D view or the 2D map (tests look for the path there). */
  projectPathPoint(k: number, view: '3d' | '2d'): { x: number; y: number } | null {
    return view === '3d' ? this.surfaceView.projectPathPoint(k) : this.heatmap.projectPathPoint(k);
  }

  /** The surfaces to export as data: the one shown, if any. */
  feeds(): SurfaceFeed[] {
    return this.feed ? [this.feed] : [];
  }

  /** The main view as an image: the chart of a 1D surface, else the 3D view or the map with its color bar. */
  snapshot(): HTMLCanvasElement | null {
    if (!this.grid) return null;
    if (this.grid.kind === '1d') return element('chart1d').querySelector('canvas');
    return this.withColorbar(this.style.view === '2d' ? this.heatmap.snapshot() : this.surfaceView.snapshot());
  }

  private withColorbar(view: HTMLCanvasElement): HTMLCanvasElement {
    const colorbar = element<HTMLCanvasElement>('colorbar');
    const out = document.createElement('canvas');
    out.width = view.width + colorbar.width;
    out.height = Math.max(view.height, colorbar.height);
    const context = out.getContext('2d')!;
    context.fillStyle = this.theme.background;
    context.fillRect(0, 0, out.width, out.height);
    context.drawImage(view, 0, 0);
    context.drawImage(colorbar, view.width, 0);
    return out;
  }

  private requestRefresh(): void {
    if (this.refreshRequested) return;
    this.refreshRequested = true;
    requestAnimationFrame(() => {
      this.refreshRequested = false;
      this.refresh();
    });
  }

  /** Redraws every view from the feed's grid. */
  private refresh(): void {
    const grid = this.grid;
    if (!grid) return;
    // Splits and a trajectory belong to a surface's feed; a difference has neither.
    const feed = this.difference ? null : this.feed;
    const oneD = grid.kind === '1d';
    element('views').classList.toggle('one-d', oneD);
    element('views').classList.toggle('map-main', !oneD && this.style.view === '2d');
    element('view3d').hidden = oneD;
    element('chart1d').hidden = !oneD;
    element('side-view').hidden = oneD;
    element('colorbar').hidden = oneD;
    if (oneD) {
      const values = (row: (number | null)[] | null) => (row ? Float64Array.from(row, (v) => v ?? NaN) : null);
      const [first, ...others] = feed?.splits ?? [];
      const bands = (this.shown?.bands ?? []).map((band) => ({ name: band.name, loss: band.values, accuracy: null }));
      this.chart1d.setData(
        { x: grid.x, loss: grid.loss, accuracy: grid.accuracy, lossStdError: grid.lossStdError, name: first?.split ?? (this.shown ? 'median' : undefined), more: [...others.map((s) => ({ name: s.split, loss: values(s.loss)!, accuracy: values(s.accuracy) })), ...bands] },
        this.cursor ? grid.x[this.cursor.ix] : null,
      );
    } else {
      this.surfaceView.setGrid(grid);
      this.heatmap.setGrid(this.shown?.map ?? grid);
      this.surfaceView.setTrajectory(feed?.trajectory ?? null);
      this.heatmap.setTrajectory(feed?.trajectory ?? null);
      const style = this.viewStyle();
      const color = this.shown?.color;
      drawColorbar(element<HTMLCanvasElement>('colorbar'), style.colormap, color?.range ?? this.surfaceView.displayedRange(), style.scale, this.theme, color?.quantity ?? style.quantity);
      this.updateSlices();
    }
    this.showPreview();
    this.events.drawn(grid.computed);
    if (this.cursor) this.setCursor(this.cursor);
  }

  /** The badge that says the surface drawn is a preview: the level landing, and the samples of a subset preview still drawn. */
  private showPreview(): void {
    const preview = this.difference ? null : (this.feed?.preview ?? null);
    const badge = element('preview-badge');
    badge.hidden = preview === null;
    if (preview) badge.textContent = `preview · level ${preview.level + 1}/${preview.levels}${preview.samples === null ? '' : ` · ${preview.samples} samples`}`;
  }

  /** A full progress bar, `text` beside it, no cancel button: what a finished view shows. */
  private showFinished(text: string): void {
    const progress = element<HTMLProgressElement>('job-progress');
    progress.max = 1;
    progress.value = 1;
    progress.dataset.percent = '100';
    element('progress-text').classList.remove('failed');
    element('progress-text').textContent = text;
    element<HTMLButtonElement>('cancel-job').hidden = true;
  }

  private showStatus(): void {
    if (this.shown) {
      this.showFinished(this.shown.status);
      return;
    }
    if (this.difference) {
      this.showFinished(`difference of two finished surfaces · ${this.difference.result.metrics.points} points compared`);
      return;
    }
    const feed = this.feed;
    if (!feed) return;
    const { done, total } = feed.progress;
    const line = progressLine(feed);
    const progress = element<HTMLProgressElement>('job-progress');
    progress.max = Math.max(1, total);
    progress.value = feed.status === 'completed' ? progress.max : done;
    progress.dataset.percent = String(line.percent);
    const text = element('progress-text');
    text.classList.toggle('failed', feed.error !== null);
    text.textContent = line.text;
    element<HTMLButtonElement>('cancel-job').hidden = !line.cancellable;
    if (feed.status === 'failed' && feed.error) this.events.error(new ApiError(500, feed.error.code, `Surface ${feed.id} failed: ${feed.error.message}`, null));
    if (feed.status === 'completed') this.describe();
    this.showPreview();
  }

  private describe(): void {
    if (this.shown) {
      element('surface-title').textContent = this.shown.title;
      element('provenance').textContent = this.shown.caption;
      return;
    }
    if (this.difference) {
      this.describeDifference(this.difference.result);
      return;
    }
    if (!this.feed) return;
    const caption = surfaceCaption(this.feed.record);
    element('surface-title').textContent = caption.title;
    element('provenance').textContent = caption.provenance;
  }

  /** Title and caption of a difference: both surfaces (links), its metrics and the settings they share. */
  private describeDifference(result: SurfaceDifference): void {
    element('surface-title').textContent = `Difference ${DIFFERENCE_QUANTITY}`;
    const link = (id: string) => Object.assign(document.createElement('a'), { href: `/?surface=${encodeURIComponent(id)}`, textContent: id });
    const m = result.metrics;
    const at = m.maxAbsoluteAt;
    const where = at ? ` at α = ${formatCoordinate(result.axes.x[at.ix]!)}${result.axes.y ? `, β = ${formatCoordinate(result.axes.y[at.iy]!)}` : ''}` : '';
    const noise = m.beyondNoiseShare === null
      ? 'no standard errors to compare with'
      : `${formatPercent(m.beyondNoiseShare)} of the points differ by more than ${NOISE_STANDARD_ERRORS} standard errors`;
    const { dataset, directions } = result.settings;
    element('provenance').replaceChildren(
      'A = ', link(result.a), ', B = ', link(result.b),
      ` · mean |Δ| = ${formatNumber(m.meanAbsolute)}, max |Δ| = ${formatNumber(m.maxAbsolute)}${where}; ${noise}`,
      ` · shared: ${dataset.id} ${dataset.split}, ${dataset.samples} samples (seed ${dataset.sampleSeed}), ${result.settings.loss}, directions seed ${directions.seed}, ${directions.normalization}`,
    );
  }

  private setCursor(cursor: GridCursor): void {
    const grid = this.grid;
    if (!grid) return;
    this.cursor = cursor;
    const point = readPoint(grid, cursor.ix, cursor.iy);
    const readout = element('readout');
    const where = `α = ${formatCoordinate(point.alpha)}${point.beta === null ? '' : `, β = ${formatCoordinate(point.beta)}`}`;
    const plusMinus = formatPlusMinus(point.lossStdError, 3);
    const what =
      point.state !== FINITE
        ? point.state === NON_FINITE
          ? this.difference ? 'a loss is not finite here (drawn as a hole)' : 'loss is not finite (drawn as a hole)'
          : point.state === PREVIEW && point.loss !== null
            ? `not computed yet · preview loss ≈ ${formatNumber(point.loss, 4)}`
            : 'not computed yet'
        : this.difference
          ? `${DIFFERENCE_QUANTITY} = ${formatNumber(point.loss, 6)}${plusMinus}, ` +
            `accuracy difference = ${point.accuracy === null ? '—' : `${formatNumber(100 * point.accuracy, 4)} points`}`
          : `${this.shown ? 'median loss' : 'loss'} = ${formatNumber(point.loss, 6)}${plusMinus}, accuracy = ${point.accuracy === null ? '—' : formatPercent(point.accuracy, 2)}` +
            (this.shown ? `, ${this.shown.readout(point.ix, point.iy)}` : '');
    readout.textContent = `${where} · ${what}`;
    Object.assign(readout.dataset, {
      ix: String(point.ix),
      iy: String(point.iy),
      alpha: String(point.alpha),
      beta: String(point.beta ?? ''),
      // A preview value is no value of the surface.
      loss: point.state === PREVIEW ? '' : String(point.loss ?? ''),
      accuracy: point.state === PREVIEW ? '' : String(point.accuracy ?? ''),
      stdError: String(point.lossStdError ?? ''),
    });
    if (grid.kind === '2d') {
      this.surfaceView.setCursor(cursor);
      this.heatmap.setCursor(cursor);
      this.updateSlices();
    } else {
      this.chart1d.setMarker(point.alpha);
    }
  }

  private updateSlices(): void {
    const grid = this.grid;
    if (!grid || grid.kind !== '2d') return;
    const { ix, iy } = this.cursor ?? { ix: Math.floor(grid.nx / 2), iy: Math.floor(grid.ny / 2) };
    const row = (values: Float64Array | null) => (values ? values.subarray(iy * grid.nx, (iy + 1) * grid.nx) : null);
    const column = (values: Float64Array | null) => (values ? Float64Array.from({ length: grid.ny }, (_, j) => values[j * grid.nx + ix]) : null);
    const bands = this.shown?.bands ?? [];
    this.sliceAlpha.setData({ x: grid.x, loss: row(grid.loss)!, accuracy: row(grid.accuracy), lossStdError: row(grid.lossStdError), more: bands.map((b) => ({ name: b.name, loss: row(b.values)!, accuracy: null })) }, grid.x[ix]);
    this.sliceBeta.setData({ x: grid.y, loss: column(grid.loss)!, accuracy: column(grid.accuracy), lossStdError: column(grid.lossStdError), more: bands.map((b) => ({ name: b.name, loss: column(b.values)!, accuracy: null })) }, grid.y[iy]);
    this.sliceAlpha.setTitle(`loss (—) and accuracy % (- -) along α at β = ${formatCoordinate(grid.y[iy])}`);
    this.sliceBeta.setTitle(`along β at α = ${formatCoordinate(grid.x[ix])}`);
  }

  private onArrowKey(event: KeyboardEvent): void {
    const grid = this.grid;
    const moves: Record<string, [number, number]> = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
    const move = moves[event.key];
    if (!grid || !move) return;
    event.preventDefault();
    const { ix, iy } = this.cursor ?? { ix: Math.floor(grid.nx / 2), iy: Math.floor(grid.ny / 2) };
    this.setCursor({ ix: Math.min(grid.nx - 1, Math.max(0, ix + move[0])), iy: Math.min(grid.ny - 1, Math.max(0, iy + move[1])) });
  }
}
