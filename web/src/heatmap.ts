import { contours as d3Contours } from 'd3-contour';
import { ticks } from 'd3-array';
import { colormapTable, writeColor } from './colormap.ts';
import { autoLevels, isolines, specLevels } from './contours.ts';
import { FINITE, NON_FINITE, nearestIndex, PREVIEW, PREVIEW_WASH, type SurfaceGrid } from './grid.ts';
import { formatNumber } from './format.ts';
import { finiteRange, normalize, transformGrid, transformValue, type ValueRange } from './scale.ts';
import type { GridCursor, SurfaceStyle } from './surface-view.ts';
import type { ThemeColors } from './theme.ts';
import { PATH_COLOR, trajectoryPath, type PathPoint } from './trajectory.ts';
import type { Trajectory } from '../../contract/index.ts';

export type MapMode = 'heatmap' | 'filled';

const MARGIN = { left: 48, right: 12, top: 12, bottom: 40 };
const PENDING_RGB = [158, 158, 158];
const AUTO_LEVEL_COUNT = 14;

/**
 * The 2D map of a surface: heatmap (one cell per grid point) or filled contours, with isolines,
 * θ* and minimum markers and the readout cursor. α runs right, β up. Canvas 2D, redrawn on demand.
 */
export class HeatmapView {
  readonly canvas = document.createElement('canvas');
  private grid: SurfaceGrid | null = null;
  private cursor: GridCursor | null = null;
  private trajectory: Trajectory | null = null;
  private sharedRange: ValueRange | null = null;
  private drawRequested = false;
  private readonly resizeObserver: ResizeObserver;

  constructor(
    private readonly container: HTMLElement,
    private style: SurfaceStyle & { mapMode: MapMode },
    private theme: ThemeColors,
    private readonly events: { hover?(cursor: GridCursor): void } = {},
  ) {
    this.canvas.tabIndex = 0;
    this.canvas.setAttribute('role', 'img');
    this.canvas.setAttribute('aria-label', '2D contour map of the loss; arrow keys move the readout cursor');
    container.append(this.canvas);
    this.canvas.addEventListener('pointermove', (event) => {
      const cursor = this.cursorAt(event.clientX, event.clientY);
      if (cursor) this.events.hover?.(cursor);
    });
    this.resizeObserver = new ResizeObserver(() => this.requestDraw());
    this.resizeObserver.observe(container);
  }

  setGrid(grid: SurfaceGrid | null): void {
    this.grid = grid;
    this.requestDraw();
  }

  update(): void {
    this.requestDraw();
  }

  setStyle(style: SurfaceStyle & { mapMode: MapMode }): void {
    this.style = style;
    this.requestDraw();
  }

  setTheme(theme: ThemeColors): void {
    this.theme = theme;
    this.requestDraw();
  }

  setSharedRange(range: ValueRange | null): void {
    this.sharedRange = range;
    this.requestDraw();
  }

  /** A PCA surface's training path, drawn over the map with its epochs (null: none). */
  setTrajectory(trajectory: Trajectory | null): void {
    this.trajectory = trajectory;
    this.requestDraw();
  }

  /** Window coordinates of checkpoint k of the path (outside the plot when the point lies outside the grid). */
  projectPathPoint(k: number): { x: number; y: number } | null {
    const grid = this.grid;
    const point = grid && this.trajectory ? trajectoryPath(this.trajectory, grid)[k] : undefined;
    if (!grid || !point) return null;
    const plot = this.plotArea();
    const rect = this.canvas.getBoundingClientRect();
    return { x: rect.left + plot.left + ((point.u + 0.5) / grid.nx) * plot.width, y: rect.top + plot.top + (1 - (point.v + 0.5) / grid.ny) * plot.height };
  }

  setCursor(cursor: GridCursor | null): void {
    this.cursor = cursor;
    this.requestDraw();
  }

  /** Window coordinates of the centre of a grid point's cell. */
  projectGridPoint(ix: number, iy: number): { x: number; y: number } | null {
    const grid = this.grid;
    if (!grid) return null;
    const plot = this.plotArea();
    const rect = this.canvas.getBoundingClientRect();
    return { x: rect.left + plot.left + ((ix + 0.5) / grid.nx) * plot.width, y: rect.top + plot.top + (1 - (iy + 0.5) / grid.ny) * plot.height };
  }

  snapshot(): HTMLCanvasElement {
    this.draw();
    return this.canvas;
  }

  dispose(): void {
    this.resizeObserver.disconnect();
    this.canvas.remove();
  }

  private requestDraw(): void {
    if (this.drawRequested) return;
    this.drawRequested = true;
    requestAnimationFrame(() => this.draw());
  }

  private plotArea() {
    const width = this.container.clientWidth;
    const height = this.container.clientHeight;
    return { left: MARGIN.left, top: MARGIN.top, width: Math.max(10, width - MARGIN.left - MARGIN.right), height: Math.max(10, height - MARGIN.top - MARGIN.bottom) };
  }

  private cursorAt(clientX: number, clientY: number): GridCursor | null {
    const grid = this.grid;
    if (!grid || grid.kind !== '2d') return null;
    const rect = this.canvas.getBoundingClientRect();
    const plot = this.plotArea();
    const u = ((clientX - rect.left - plot.left) / plot.width) * grid.nx - 0.5;
    const v = (1 - (clientY - rect.top - plot.top) / plot.height) * grid.ny - 0.5;
    if (u < -0.5 || v < -0.5 || u > grid.nx - 0.5 || v > grid.ny - 0.5) return null;
    return { ix: Math.min(grid.nx - 1, Math.max(0, Math.round(u))), iy: Math.min(grid.ny - 1, Math.max(0, Math.round(v))) };
  }

  private draw(): void {
    this.drawRequested = false;
    const ratio = window.devicePixelRatio || 1;
    const width = this.container.clientWidth;
    const height = this.container.clientHeight;
    this.canvas.width = Math.max(1, Math.round(width * ratio));
    this.canvas.height = Math.max(1, Math.round(height * ratio));
    const context = this.canvas.getContext('2d')!;
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.fillStyle = this.theme.background;
    context.fillRect(0, 0, width, height);
    const grid = this.grid;
    if (!grid || grid.kind !== '2d') return;
    const plot = this.plotArea();
    const { scale } = this.style;
    const displayed = transformGrid(grid.loss, scale);
    const range = this.sharedRange ?? finiteRange([displayed]) ?? { min: 0, max: 1 };
    const table = colormapTable(this.style.colormap);
    const levels = this.style.levels ? specLevels(this.style.levels) : autoLevels(range, scale, AUTO_LEVEL_COUNT);
    // d3-contour and the heatmap both put grid point i at the centre of cell [i, i + 1] of an nx × ny box.
    const toX = (u: number) => plot.left + (u / grid.nx) * plot.width;
    const toY = (v: number) => plot.top + (1 - v / grid.ny) * plot.height;

    context.save();
    context.beginPath();
    context.rect(plot.left, plot.top, plot.width, plot.height);
    context.clip();
    if (this.style.mapMode === 'heatmap') this.drawCells(context, grid, displayed, range, table, plot);
    else this.drawFilled(context, grid, displayed, range, table, levels, toX, toY);
    const lines = isolines(displayed, grid.nx, grid.ny, levels, scale);
    context.strokeStyle = this.theme.isoline;
    context.globalAlpha = 0.55;
    context.lineWidth = 1;
    context.beginPath();
    for (const line of lines) {
      for (let i = 0; i < line.segments.length; i += 4) {
        context.moveTo(toX(line.segments[i] + 0.5), toY(line.segments[i + 1] + 0.5));
        context.lineTo(toX(line.segments[i + 2] + 0.5), toY(line.segments[i + 3] + 0.5));
      }
    }
    context.stroke();
    context.globalAlpha = 1;
    this.drawMarkers(context, grid, toX, toY);
    if (this.trajectory) this.drawPath(context, trajectoryPath(this.trajectory, grid), toX, toY);
    context.restore();
    this.drawAxes(context, grid, plot);
  }

  private drawCells(context: CanvasRenderingContext2D, grid: SurfaceGrid, displayed: Float32Array, range: ValueRange, table: Float32Array, plot: { left: number; top: number; width: number; height: number }): void {
    const cells = new ImageData(grid.nx, grid.ny);
    for (let iy = 0; iy < grid.ny; iy++) {
      for (let ix = 0; ix < grid.nx; ix++) {
        const at = iy * grid.nx + ix;
        const pixel = ((grid.ny - 1 - iy) * grid.nx + ix) * 4;
        if ((grid.state[at] === FINITE || grid.state[at] === PREVIEW) && !Number.isNaN(displayed[at])) {
          writeColor(table, normalize(displayed[at], range), cells.data, pixel, 255);
          cells.data[pixel + 3] = 255;
          if (grid.state[at] === PREVIEW) for (let c = 0; c < 3; c++) cells.data[pixel + c] += (PENDING_RGB[c] - cells.data[pixel + c]) * PREVIEW_WASH;
        } else if (grid.state[at] !== NON_FINITE) {
          cells.data.set(PENDING_RGB, pixel);
          cells.data[pixel + 3] = 255;
        }
      }
    }
    const offscreen = document.createElement('canvas');
    offscreen.width = grid.nx;
    offscreen.height = grid.ny;
    offscreen.getContext('2d')!.putImageData(cells, 0, 0);
    context.imageSmoothingEnabled = false;
    context.drawImage(offscreen, plot.left, plot.top, plot.width, plot.height);
  }

  private drawFilled(
    context: CanvasRenderingContext2D,
    grid: SurfaceGrid,
    displayed: Float32Array,
    range: ValueRange,
    table: Float32Array,
    levels: number[],
    toX: (u: number) => number,
    toY: (v: number) => number,
  ): void {
    const values = levels.map((level) => transformValue(level, this.style.scale)).filter((v) => v > range.min && v < range.max);
    const bands = [range.min, ...values, range.max];
    const color = (t: number) => {
      const rgb = new Uint8ClampedArray(3);
      writeColor(table, t, rgb, 0, 255);
      return `rgb(${rgb[0]}, ${rgb[1]}, ${rgb[2]})`;
    };
    // Missing points read as -Infinity to d3, so each threshold's region never covers them; they are painted after.
    const generator = d3Contours().size([grid.nx, grid.ny]);
    for (let k = 0; k < bands.length - 1; k++) {
      const region = generator.contour(Array.from(displayed), bands[k]);
      context.fillStyle = color(normalize((bands[k] + bands[k + 1]) / 2, range));
      context.beginPath();
      for (const polygon of region.coordinates) {
        for (const ring of polygon) {
          ring.forEach(([u, v], i) => (i === 0 ? context.moveTo(toX(u), toY(v)) : context.lineTo(toX(u), toY(v))));
          context.closePath();
        }
      }
      context.fill('evenodd');
    }
    const cellWidth = toX(1) - toX(0);
    const cellHeight = toY(0) - toY(1);
    for (let at = 0; at < grid.state.length; at++) {
      if (grid.state[at] === FINITE) continue;
      const ix = at % grid.nx;
      const iy = Math.floor(at / grid.nx);
      const pending = grid.state[at] === PREVIEW ? `rgba(${PENDING_RGB.join(',')}, ${PREVIEW_WASH})` : `rgb(${PENDING_RGB.join(',')})`;
      context.fillStyle = grid.state[at] === NON_FINITE ? this.theme.background : pending;
      context.fillRect(toX(ix), toY(iy + 1), cellWidth + 0.5, cellHeight + 0.5);
    }
  }

  /** The training path of a PCA surface: a polyline through its checkpoints (clipped to the plot), a dot at each, epochs beside some. */
  private drawPath(context: CanvasRenderingContext2D, path: PathPoint[], toX: (u: number) => number, toY: (v: number) => number): void {
    context.strokeStyle = PATH_COLOR;
    context.lineWidth = 2;
    context.beginPath();
    path.forEach((p, k) => (k === 0 ? context.moveTo(toX(p.u + 0.5), toY(p.v + 0.5)) : context.lineTo(toX(p.u + 0.5), toY(p.v + 0.5))));
    context.stroke();
    context.font = '600 11px system-ui, sans-serif';
    for (const p of path) {
      const x = toX(p.u + 0.5);
      const y = toY(p.v + 0.5);
      context.beginPath();
      context.arc(x, y, 3.5, 0, Math.PI * 2);
      context.fillStyle = PATH_COLOR;
      context.fill();
      if (!p.labelled) continue;
      context.lineWidth = 3;
      context.strokeStyle = '#000000';
      context.strokeText(`epoch ${p.epoch}`, x + 6, y - 6);
      context.fillStyle = '#ffffff';
      context.fillText(`epoch ${p.epoch}`, x + 6, y - 6);
      context.strokeStyle = PATH_COLOR;
      context.lineWidth = 2;
    }
  }

  private drawMarkers(context: CanvasRenderingContext2D, grid: SurfaceGrid, toX: (u: number) => number, toY: (v: number) => number): void {
    let best = -1;
    for (let i = 0; i < grid.loss.length; i++) if (grid.state[i] === FINITE && (best < 0 || grid.loss[i] < grid.loss[best])) best = i;
    const dot = (ix: number, iy: number, fill: string, label: string, below: boolean) => {
      const x = toX(ix + 0.5);
      const y = toY(iy + 0.5);
      context.beginPath();
      context.arc(x, y, 5, 0, Math.PI * 2);
      context.fillStyle = fill;
      context.fill();
      context.lineWidth = 1.5;
      context.strokeStyle = '#000000';
      context.stroke();
      // Outlined so the label reads on dark and light colormap ends alike.
      context.font = '600 12px system-ui, sans-serif';
      context.lineWidth = 3;
      context.strokeStyle = '#000000';
      context.strokeText(label, x + 8, below ? y + 14 : y - 6);
      context.fillStyle = '#ffffff';
      context.fillText(label, x + 8, below ? y + 14 : y - 6);
    };
    dot(nearestIndex(grid.x, 0), nearestIndex(grid.y, 0), '#ffffff', 'θ*', false);
    if (best >= 0) dot(best % grid.nx, Math.floor(best / grid.nx), '#ff3df2', 'min', true);
    if (this.cursor) {
      const x = toX(this.cursor.ix + 0.5);
      const y = toY(this.cursor.iy + 0.5);
      context.strokeStyle = this.theme.accent;
      context.lineWidth = 1;
      context.setLineDash([4, 3]);
      context.beginPath();
      context.moveTo(x, toY(grid.ny));
      context.lineTo(x, toY(0));
      context.moveTo(toX(0), y);
      context.lineTo(toX(grid.nx), y);
      context.stroke();
      context.setLineDash([]);
    }
  }

  private drawAxes(context: CanvasRenderingContext2D, grid: SurfaceGrid, plot: { left: number; top: number; width: number; height: number }): void {
    context.strokeStyle = this.theme.muted;
    context.strokeRect(plot.left + 0.5, plot.top + 0.5, plot.width - 1, plot.height - 1);
    context.fillStyle = this.theme.foreground;
    context.font = '11px system-ui, sans-serif';
    const xMin = grid.x[0];
    const xMax = grid.x[grid.nx - 1];
    const yMin = grid.y[0];
    const yMax = grid.y[grid.ny - 1];
    // Cell centres of the first and last points sit half a cell inside the plot edges.
    const alphaToX = (alpha: number) => plot.left + ((0.5 + ((alpha - xMin) / (xMax - xMin)) * (grid.nx - 1)) / grid.nx) * plot.width;
    const betaToY = (beta: number) => plot.top + (1 - (0.5 + ((beta - yMin) / (yMax - yMin)) * (grid.ny - 1)) / grid.ny) * plot.height;
    context.textAlign = 'center';
    context.textBaseline = 'top';
    for (const alpha of ticks(xMin, xMax, 5)) {
      const x = alphaToX(alpha);
      context.fillRect(x, plot.top + plot.height, 1, 4);
      context.fillText(formatNumber(alpha, 3), x, plot.top + plot.height + 6);
    }
    context.font = '13px system-ui, sans-serif';
    context.fillText('α', plot.left + plot.width / 2, plot.top + plot.height + 22);
    context.font = '11px system-ui, sans-serif';
    context.textAlign = 'right';
    context.textBaseline = 'middle';
    for (const beta of ticks(yMin, yMax, 5)) {
      const y = betaToY(beta);
      context.fillRect(plot.left - 4, y, 4, 1);
      context.fillText(formatNumber(beta, 3), plot.left - 6, y);
    }
    context.font = '13px system-ui, sans-serif';
    context.fillText('β', 14, plot.top + plot.height / 2);
    context.textAlign = 'start';
  }
}
