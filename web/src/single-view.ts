import { ApiError, api } from './api.ts';
import { drawColorbar } from './colorbar.ts';
import { SurfaceFeed } from './feed.ts';
import { formatCoordinate, formatNumber, formatPercent } from './format.ts';
import { FINITE, NON_FINITE, readPoint } from './grid.ts';
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
 * surface; redraws are batched to one per animation frame.
 */
export class SingleView {
  private feed: SurfaceFeed | null = null;
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

  async open(id: string): Promise<void> {
    this.close();
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

  /** Stops following the surface (the views keep their last image until the next one opens). */
  close(): void {
    this.feed?.close();
    this.feed = null;
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
    this.surfaceView.setStyle(style);
    this.heatmap.setStyle(style);
    for (const chart of [this.chart1d, this.sliceAlpha, this.sliceBeta]) chart.setLog(style.scale.scale === 'log');
    this.refresh();
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
    if (!this.feed) return null;
    if (this.feed.grid.kind === '1d') return element('chart1d').querySelector('canvas');
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
    const feed = this.feed;
    if (!feed) return;
    const grid = feed.grid;
    const oneD = grid.kind === '1d';
    element('views').classList.toggle('one-d', oneD);
    element('views').classList.toggle('map-main', !oneD && this.style.view === '2d');
    element('view3d').hidden = oneD;
    element('chart1d').hidden = !oneD;
    element('side-view').hidden = oneD;
    element('colorbar').hidden = oneD;
    if (oneD) {
      const values = (row: (number | null)[] | null) => (row ? Float64Array.from(row, (v) => v ?? NaN) : null);
      const [first, ...others] = feed.splits ?? [];
      this.chart1d.setData(
        { x: grid.x, loss: grid.loss, accuracy: grid.accuracy, name: first?.split, more: others.map((s) => ({ name: s.split, loss: values(s.loss)!, accuracy: values(s.accuracy) })) },
        this.cursor ? grid.x[this.cursor.ix] : null,
      );
    } else {
      this.surfaceView.setGrid(grid);
      this.heatmap.setGrid(grid);
      this.surfaceView.setTrajectory(feed.trajectory);
      this.heatmap.setTrajectory(feed.trajectory);
      drawColorbar(element<HTMLCanvasElement>('colorbar'), this.style.colormap, this.surfaceView.displayedRange(), this.style.scale, this.theme);
      this.updateSlices();
    }
    this.events.drawn(grid.computed);
    if (this.cursor) this.setCursor(this.cursor);
  }

  private showStatus(): void {
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
  }

  private describe(): void {
    if (!this.feed) return;
    const caption = surfaceCaption(this.feed.record);
    element('surface-title').textContent = caption.title;
    element('provenance').textContent = caption.provenance;
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
}
