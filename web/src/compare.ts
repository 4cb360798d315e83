import { drawColorbar } from './colorbar.ts';
import { SurfaceFeed } from './feed.ts';
import { surfaceFigures } from './figures.ts';
import { formatCoordinate, formatNumber, formatPercent, formatPlusMinus } from './format.ts';
import { LineChart } from './line-chart.ts';
import { finiteRange, transformGrid } from './scale.ts';
import { readPoint, recordAxes } from './grid.ts';
import { SurfaceView, type CameraState, type GridCursor, type SurfaceStyle } from './surface-view.ts';
import type { ThemeColors } from './theme.ts';

interface Panel {
  feed: SurfaceFeed | null;
  element: HTMLElement;
  viewHost: HTMLElement;
  status: HTMLElement;
  readout: HTMLElement;
  table: HTMLTableElement;
  view: SurfaceView | null;
  chart: LineChart | null;
}

/**
 * 2 to 6 surfaces side by side: synchronised cameras, one color scale and z-range shared by all,
 * and the figures of each surface in a table under it. Surfaces still computing grow live.
 */
export class CompareView {
  private panels: Panel[] = [];
  private refreshRequested = false;

  constructor(
    private readonly root: HTMLElement,
    private readonly colorbar: HTMLCanvasElement,
    private style: SurfaceStyle,
    private theme: ThemeColors,
    private readonly events: { camera(state: CameraState): void; error(error: unknown): void },
  ) {}

  async open(ids: readonly string[], camera: CameraState | null): Promise<void> {
    this.root.style.setProperty('--columns', String(ids.length <= 3 ? ids.length : ids.length === 4 ? 2 : 3));
    this.panels = ids.map((id) => this.createPanel(id));
    await Promise.all(
      this.panels.map(async (panel, index) => {
        try {
          panel.feed = await SurfaceFeed.open(ids[index], { data: () => this.requestRefresh(), status: () => this.requestRefresh() });
          this.mountView(panel);
          if (camera) panel.view?.setCamera(camera);
        } catch (error) {
          panel.status.textContent = `Could not open surface ${ids[index]}: ${(error as Error).message}`;
          panel.status.classList.add('failed');
          this.events.error(error);
        }
      }),
    );
    this.requestRefresh();
  }

  setStyle(style: SurfaceStyle): void {
    this.style = style;
    for (const panel of this.panels) {
      panel.view?.setStyle(style);
      panel.chart?.setLog(style.scale.scale === 'log');
    }
    this.requestRefresh();
  }

  setTheme(theme: ThemeColors): void {
    this.theme = theme;
    for (const panel of this.panels) {
      panel.view?.setTheme(theme);
      panel.chart?.setTheme(theme);
    }
    this.requestRefresh();
  }

  setCamera(state: CameraState): void {
    for (const panel of this.panels) panel.view?.setCamera(state);
  }

  resetCamera(): void {
    this.panels.find((panel) => panel.view)?.view?.resetCamera();
  }

  feeds(): SurfaceFeed[] {
    return this.panels.flatMap((panel) => (panel.feed ? [panel.feed] : []));
  }

  /** Window coordinates of a grid point in panel `index` (tests hover there). */
  projectGridPoint(index: number, ix: number, iy: number): { x: number; y: number } | null {
    return this.panels[index]?.view?.projectGridPoint(ix, iy) ?? null;
  }

  /** All panels side by side with the shared color bar, for PNG export. */
  snapshot(): HTMLCanvasElement {
    const images = this.panels.map((panel) => panel.view?.snapshot() ?? panel.chart?.element.querySelector('canvas') ?? null).filter((c): c is HTMLCanvasElement => c !== null);
    const columns = Number(this.root.style.getPropertyValue('--columns')) || images.length;
    const cellWidth = Math.max(...images.map((c) => c.width), 1);
    const cellHeight = Math.max(...images.map((c) => c.height), 1);
    const rows = Math.ceil(images.length / columns);
    const out = document.createElement('canvas');
    const barWidth = this.colorbar.width;
    out.width = cellWidth * columns + barWidth;
    out.height = Math.max(cellHeight * rows, this.colorbar.height);
    const context = out.getContext('2d')!;
    context.fillStyle = this.theme.background;
    context.fillRect(0, 0, out.width, out.height);
    images.forEach((image, i) => context.drawImage(image, (i % columns) * cellWidth, Math.floor(i / columns) * cellHeight));
    context.drawImage(this.colorbar, cellWidth * columns, 0);
    return out;
  }

  dispose(): void {
    for (const panel of this.panels) {
      panel.feed?.close();
      panel.view?.dispose();
      panel.chart?.dispose();
      panel.element.remove();
    }
    this.panels = [];
  }

  private createPanel(id: string): Panel {
    const element = document.createElement('article');
    element.className = 'compare-panel';
    element.dataset.surfaceId = id;
    const header = document.createElement('header');
    header.innerHTML = '<h3></h3><span class="meta"></span>';
    header.querySelector('h3')!.textContent = id;
    const viewHost = Object.assign(document.createElement('div'), { className: 'compare-view' });
    const status = Object.assign(document.createElement('p'), { className: 'panel-status' });
    status.setAttribute('aria-live', 'polite');
    const readout = Object.assign(document.createElement('p'), { className: 'panel-readout' });
    readout.setAttribute('aria-live', 'polite');
    const table = Object.assign(document.createElement('table'), { className: 'figures' });
    element.append(header, viewHost, status, readout, table);
    this.root.append(element);
    return { feed: null, element, viewHost, status, readout, table, view: null, chart: null };
  }

  private mountView(panel: Panel): void {
    const feed = panel.feed!;
    const record = feed.record;
    panel.element.querySelector('h3')!.textContent = record.name ?? record.provenance.model.name;
    const request = record.request;
    const axes = recordAxes(record);
    const grid = axes.y ? `${axes.x.num}×${axes.y.num}` : `${axes.x.num} points`;
    panel.element.querySelector('.meta')!.textContent = `${record.provenance.model.id} · ${request.dataset.id} ${request.dataset.split ?? 'test'} · ${grid}`;
    if (feed.grid.kind === '2d') {
      panel.view = new SurfaceView(panel.viewHost, this.style, this.theme, {
        hover: (cursor) => this.showCursor(cursor),
        camera: (state) => {
          for (const other of this.panels) if (other !== panel) other.view?.setCamera(state);
          this.events.camera(state);
        },
      });
    } else {
      panel.chart = new LineChart(panel.viewHost, { title: '', xLabel: 'α', height: 320 }, this.theme, this.style.scale.scale === 'log');
    }
  }

  /** The same grid point in every panel (grids of equal shape): a marker and a readout under each. */
  private showCursor(cursor: GridCursor): void {
    for (const panel of this.panels) {
      const grid = panel.feed?.grid;
      if (!grid || grid.kind !== '2d' || cursor.ix >= grid.nx || cursor.iy >= grid.ny) continue;
      panel.view?.setCursor(cursor);
      const point = readPoint(grid, cursor.ix, cursor.iy);
      panel.readout.textContent =
        `α = ${formatCoordinate(point.alpha)}, β = ${formatCoordinate(point.beta)} · ` +
        (point.loss === null
          ? 'no value'
          : `loss = ${formatNumber(point.loss, 6)}${formatPlusMinus(point.lossStdError, 3)}, accuracy = ${point.accuracy === null ? '—' : formatPercent(point.accuracy, 2)}`);
      panel.readout.dataset.loss = String(point.loss ?? '');
      panel.readout.dataset.stdError = String(point.lossStdError ?? '');
    }
  }

  private requestRefresh(): void {
    if (this.refreshRequested) return;
    this.refreshRequested = true;
    requestAnimationFrame(() => this.refresh());
  }

  private refresh(): void {
    this.refreshRequested = false;
    const feeds = this.feeds();
    const range = finiteRange(feeds.filter((f) => f.grid.kind === '2d').map((f) => transformGrid(f.grid.loss, this.style.scale)));
    for (const panel of this.panels) {
      const feed = panel.feed;
      if (!feed) continue;
      if (panel.view) {
        panel.view.setSharedRange(range);
        panel.view.setGrid(feed.grid);
      }
      panel.chart?.setData({ x: feed.grid.x, loss: feed.grid.loss, accuracy: feed.grid.accuracy, lossStdError: feed.grid.lossStdError });
      const { done, total } = feed.progress;
      panel.status.textContent =
        feed.status === 'completed' ? '' : feed.error ? `${feed.status}: ${feed.error.message}` : `${feed.status} · ${done} / ${total} points`;
      this.fillTable(panel);
    }
    drawColorbar(this.colorbar, this.style.colormap, range, this.style.scale, this.theme);
  }

  private fillTable(panel: Panel): void {
    const figures = surfaceFigures(panel.feed!.grid);
    const accuracy = (value: number | null) => (value === null ? '—' : formatPercent(value, 2));
    const where = (alpha: number, beta: number | null) => `α ${formatCoordinate(alpha)}${beta === null ? '' : `, β ${formatCoordinate(beta)}`}`;
    const rows: [string, string][] = [
      [figures.origin.exact ? 'loss at θ*' : `loss nearest θ* (${where(figures.origin.alpha, figures.origin.beta)})`, formatNumber(figures.origin.loss, 5)],
      ['accuracy at θ*', accuracy(figures.origin.accuracy)],
      ['grid minimum loss', formatNumber(figures.minimum?.loss ?? null, 5)],
      ['accuracy there', accuracy(figures.minimum?.accuracy ?? null)],
      ['minimum at', figures.minimum ? where(figures.minimum.alpha, figures.minimum.beta) : '—'],
      ['grid within 0.1 of min', formatPercent(figures.shareWithin01)],
      ['grid within 1.0 of min', formatPercent(figures.shareWithin1)],
      ['non-finite points', String(figures.nonFinite)],
    ];
    panel.table.replaceChildren(
      ...rows.map(([label, value]) => {
        const row = document.createElement('tr');
        const th = Object.assign(document.createElement('th'), { scope: 'row', textContent: label });
        const td = Object.assign(document.createElement('td'), { textContent: value });
        row.append(th, td);
        return row;
      }),
    );
  }
}
