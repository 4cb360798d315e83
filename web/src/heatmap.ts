import { ticks } from 'd3-array';
import { colormapTable, parseCssColor, writeColor } from './colormap.ts';
import { bilinear, contourLines, placeLabels, refinementFor, type Box } from './contour-lines.ts';
import { autoLevels, specLevels } from './contours.ts';
import { FINITE, NON_FINITE, PREVIEW, PREVIEW_WASH, surfaceMarkers, type SurfaceGrid } from './grid.ts';
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
/** α and β are drawn in equal units (a square domain square) unless that would make the plot flatter than this. */
const MAX_ASPECT = 4;
const LABEL_FONT = '10px system-ui, sans-serif';

interface PlotArea {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * The plot rectangle inside a container: the largest one with α and β in equal units (grid point
 * i at the centre of cell [i, i + 1] of an nx × ny box, so the box spans nx·hx by ny·hy), centred
 * in the space the margins leave; the ratio is capped at MAX_ASPECT for very unequal domains.
 */
export function plotArea(containerWidth: number, containerHeight: number, grid: { nx: number; ny: number; x: ArrayLike<number>; y: ArrayLike<number> } | null): PlotArea {
  const availableWidth = Math.max(10, containerWidth - MARGIN.left - MARGIN.right);
  const availableHeight = Math.max(10, containerHeight - MARGIN.top - MARGIN.bottom);
  if (!grid || grid.nx < 2 || grid.ny < 2) return { left: MARGIN.left, top: MARGIN.top, width: availableWidth, height: availableHeight };
  const spanX = (Math.abs(grid.x[grid.nx - 1]! - grid.x[0]!) * grid.nx) / (grid.nx - 1);
  const spanY = (Math.abs(grid.y[grid.ny - 1]! - grid.y[0]!) * grid.ny) / (grid.ny - 1);
  const aspect = Math.min(MAX_ASPECT, Math.max(1 / MAX_ASPECT, spanX / spanY || 1));
  const width = Math.min(availableWidth, availableHeight * aspect);
  const height = width / aspect;
  return { left: MARGIN.left + (availableWidth - width) / 2, top: MARGIN.top + (availableHeight - height) / 2, width, height };
}

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

  private plotArea(): PlotArea {
    return plotArea(this.container.clientWidth, this.container.clientHeight, this.grid?.kind === '2d' ? this.grid : null);
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
    const levels = (this.style.levels ? specLevels(this.style.levels) : autoLevels(range, scale, AUTO_LEVEL_COUNT))
      .filter((level) => scale.clip === null || level < scale.clip)
      .map((level) => ({ level, value: transformValue(level, scale) }))
      .filter(({ value }) => Number.isFinite(value));
    // Grid point i sits at the centre of cell [i, i + 1] of an nx × ny box.
    const toX = (u: number) => plot.left + (u / grid.nx) * plot.width;
    const toY = (v: number) => plot.top + (1 - v / grid.ny) * plot.height;

    context.save();
    context.beginPath();
    context.rect(plot.left, plot.top, plot.width, plot.height);
    context.clip();
    if (this.style.mapMode === 'heatmap') this.drawCells(context, grid, displayed, range, table, plot);
    else this.drawFilled(context, grid, displayed, range, table, levels.map((l) => l.value), plot, ratio);
    // Level sets of the bilinear interpolant (the surface the filled map shows), traced at about 4 px per refined cell.
    const factor = refinementFor(plot.width / grid.nx);
    const lines = levels.flatMap(({ level, value }) =>
      contourLines(displayed, grid.nx, grid.ny, value, factor).map((line) => {
        const screen = new Float64Array(line.points.length);
        for (let k = 0; k < line.points.length; k += 2) {
          screen[k] = toX(line.points[k]! + 0.5);
          screen[k + 1] = toY(line.points[k + 1]! + 0.5);
        }
        return { points: screen, text: formatNumber(level, 3), value };
      }),
    );
    context.strokeStyle = this.theme.isoline;
    context.globalAlpha = 0.7;
    context.lineWidth = 1;
    context.lineJoin = 'round';
    context.beginPath();
    for (const line of lines) {
      context.moveTo(line.points[0]!, line.points[1]!);
      for (let k = 2; k < line.points.length; k += 2) context.lineTo(line.points[k]!, line.points[k + 1]!);
    }
    context.stroke();
    context.globalAlpha = 1;
    const markerBoxes = this.drawMarkers(context, grid, toX, toY);
    this.canvas.dataset.levelLabels = String(this.drawLevelLabels(context, lines, range, table, plot, markerBoxes));
    if (this.trajectory) this.drawPath(context, trajectoryPath(this.trajectory, grid), toX, toY);
    context.restore();
    this.drawAxes(context, grid, plot);
    // Where the plot is, for browser tests that check its shape against the pixels.
    this.canvas.dataset.plot = [plot.left, plot.top, plot.width, plot.height].map((v) => v.toFixed(1)).join(',');
  }

  /**
   * The level of each contour line written on it (matplotlib's clabel): turned along the line,
   * dark on light colors and light on dark ones, with a halo of the opposite shade that hides the
   * line under the text. Returns how many labels were placed.
   */
  private drawLevelLabels(
    context: CanvasRenderingContext2D,
    lines: { points: Float64Array; text: string; value: number }[],
    range: ValueRange,
    table: Float32Array,
    plot: PlotArea,
    avoid: Box[],
  ): number {
    context.font = LABEL_FONT;
    const measure = (text: string) => ({ width: context.measureText(text).width + 2, height: 11 });
    const values = new Map(lines.map((line) => [line.text, line.value]));
    const bounds = { x0: plot.left, y0: plot.top, x1: plot.left + plot.width, y1: plot.top + plot.height };
    const labels = placeLabels(lines, measure, { bounds, avoid, spacing: Math.max(160, plot.width * 0.6) });
    const rgb = new Uint8ClampedArray(3);
    context.textAlign = 'center';
    context.textBaseline = 'middle';
    context.lineJoin = 'round';
    for (const label of labels) {
      writeColor(table, normalize(values.get(label.text)!, range), rgb, 0, 255);
      const onLight = 0.2126 * rgb[0]! + 0.7152 * rgb[1]! + 0.0722 * rgb[2]! > 140;
      context.save();
      context.translate(label.x, label.y);
      context.rotate(label.angle);
      context.lineWidth = 3;
      context.strokeStyle = onLight ? 'rgba(255, 255, 255, 0.85)' : 'rgba(0, 0, 0, 0.75)';
      context.strokeText(label.text, 0, 0.5);
      context.fillStyle = onLight ? '#111111' : '#ffffff';
      context.fillText(label.text, 0, 0.5);
      context.restore();
    }
    context.textAlign = 'start';
    return labels.length;
  }

  private drawCells(context: CanvasRenderingContext2D, grid: SurfaceGrid, displayed: Float32Array, range: ValueRange, table: Float32Array, plot: PlotArea): void {
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

  /**
   * Filled contours of the bilinear interpolant, pixel by pixel: each device pixel takes the color
   * of the band between levels that its interpolated value falls in (the band's middle). Beyond
   * the outermost grid points (half a cell) the edge values continue; a pixel whose nearest point
   * is missing shows that point's state (grey pending, background for a non-finite loss), and one
   * next to a missing point takes its nearest point's band.
   */
  private drawFilled(context: CanvasRenderingContext2D, grid: SurfaceGrid, displayed: Float32Array, range: ValueRange, table: Float32Array, levels: number[], plot: PlotArea, ratio: number): void {
    const thresholds = levels.filter((v) => v > range.min && v < range.max).sort((a, b) => a - b);
    const bands = [range.min, ...thresholds, range.max];
    const bandColors = bands.slice(1).map((top, k) => {
      const rgb = new Uint8ClampedArray(3);
      writeColor(table, normalize((bands[k]! + top) / 2, range), rgb, 0, 255);
      return rgb;
    });
    const background = parseCssColor(this.theme.background).map((c) => Math.round(c * 255));
    const x0 = Math.floor(plot.left * ratio);
    const y0 = Math.floor(plot.top * ratio);
    const width = Math.ceil((plot.left + plot.width) * ratio) - x0;
    const height = Math.ceil((plot.top + plot.height) * ratio) - y0;
    const image = context.createImageData(width, height);
    const { nx, ny } = grid;
    for (let py = 0; py < height; py++) {
      const v = Math.min(ny - 1, Math.max(0, (1 - ((y0 + py + 0.5) / ratio - plot.top) / plot.height) * ny - 0.5));
      const iy = Math.min(ny - 2, Math.floor(v));
      for (let px = 0; px < width; px++) {
        const u = Math.min(nx - 1, Math.max(0, (((x0 + px + 0.5) / ratio - plot.left) / plot.width) * nx - 0.5));
        const ix = Math.min(nx - 2, Math.floor(u));
        const nearest = Math.round(v) * nx + Math.round(u);
        const out = (py * width + px) * 4;
        // A preview point (interpolated while the surface refines) is drawn like a computed one under a grey wash.
        const known = grid.state[nearest] === FINITE || grid.state[nearest] === PREVIEW;
        let value = known ? bilinear(displayed, nx, ix, iy, u - ix, v - iy) : NaN;
        if (Number.isNaN(value) && known) value = displayed[nearest]!;
        if (Number.isNaN(value)) {
          image.data.set(grid.state[nearest] === NON_FINITE ? background : PENDING_RGB, out);
        } else {
          let band = 0;
          while (band < thresholds.length && value > thresholds[band]!) band++;
          const rgb = bandColors[band]!;
          if (grid.state[nearest] === PREVIEW) {
            for (let c = 0; c < 3; c++) image.data[out + c] = Math.round(rgb[c]! * (1 - PREVIEW_WASH) + PENDING_RGB[c]! * PREVIEW_WASH);
          } else {
            image.data.set(rgb, out);
          }
        }
        image.data[out + 3] = 255;
      }
    }
    context.putImageData(image, x0, y0);
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

  /** θ* and the minimum: dots with outlined labels (white on black reads on both colormap ends); returns the boxes they cover. */
  private drawMarkers(context: CanvasRenderingContext2D, grid: SurfaceGrid, toX: (u: number) => number, toY: (v: number) => number): Box[] {
    const boxes: Box[] = [];
    context.font = '600 12px system-ui, sans-serif';
    for (const marker of surfaceMarkers(grid)) {
      const x = toX(marker.ix + 0.5);
      const y = toY(marker.iy + 0.5);
      context.beginPath();
      context.arc(x, y, 5, 0, Math.PI * 2);
      context.fillStyle = marker.color;
      context.fill();
      context.lineWidth = 1.5;
      context.strokeStyle = '#000000';
      context.stroke();
      // Grid rows grow upward on the page, so "above" is a smaller canvas y.
      const { right, above } = marker.labelSide;
      const width = context.measureText(marker.label).width;
      const textX = right ? x + 8 : x - 8 - width;
      const textY = above ? y - 6 : y + 14;
      context.lineWidth = 3;
      context.strokeStyle = '#000000';
      context.strokeText(marker.label, textX, textY);
      context.fillStyle = '#ffffff';
      context.fillText(marker.label, textX, textY);
      boxes.push({ x0: x - 7, y0: y - 7, x1: x + 7, y1: y + 7 }, { x0: textX - 2, y0: textY - 12, x1: textX + width + 2, y1: textY + 4 });
    }
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
    return boxes;
  }

  private drawAxes(context: CanvasRenderingContext2D, grid: SurfaceGrid, plot: PlotArea): void {
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
