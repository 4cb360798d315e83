import type { HessianMapResult } from '../../../contract/metrics/hessian.ts';
import { colormapTable, writeColor } from '../colormap.ts';
import { formatNumber } from '../format.ts';
import type { ThemeColors } from '../theme.ts';

/** |λmin/λmax| at or above this saturates the color (Li et al.'s maps top out near 1). */
export const RATIO_COLOR_MAX = 1;
export const RATIO_COLORMAP = 'viridis';
const MARGIN = { left: 40, right: 8, top: 8, bottom: 34 };
/** Cells shrink for large sub-grids so that a map stays about this wide. */
const MAX_PLOT = 270;

/** The sub-grid's α (columns) and β (rows) values, from its row-major points. */
export function hessianAxes(map: HessianMapResult): { alphas: number[]; betas: number[] } {
  const [rows, columns] = map.shape as [number, number];
  return {
    alphas: Array.from({ length: columns }, (_, c) => map.points[c]!.x),
    betas: Array.from({ length: rows }, (_, r) => map.points[r * columns]!.y ?? 0),
  };
}

/**
 * Li et al.'s Fig. 7: |λmin/λmax| over the sub-grid, one cell per point (α right, β up), dark =
 * locally convex, bright = strong negative curvature, grey = no value (non-finite products or
 * λmax = 0). Values are printed in the cells; α and β are ticked at every point (or every other
 * one past 7) so a cell can be found on the loss map.
 */
export function renderHessianMap(map: HessianMapResult, theme: ThemeColors): HTMLCanvasElement {
  const [rows, columns] = map.shape as [number, number];
  const cell = Math.min(36, Math.floor(MAX_PLOT / Math.max(rows, columns)));
  const width = MARGIN.left + columns * cell + MARGIN.right;
  const height = MARGIN.top + rows * cell + MARGIN.bottom;
  const canvas = document.createElement('canvas');
  const ratio = window.devicePixelRatio || 1;
  canvas.width = width * ratio;
  canvas.height = height * ratio;
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  canvas.className = 'hessian-map';
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', `|λmin/λmax| over a ${columns}×${rows} sub-grid; mean ${formatNumber(map.summary.meanAbsRatio)}`);
  const context = canvas.getContext('2d')!;
  context.scale(ratio, ratio);
  context.fillStyle = theme.background;
  context.fillRect(0, 0, width, height);
  const table = colormapTable(RATIO_COLORMAP);
  const rgb = new Uint8ClampedArray(3);
  context.font = `${cell >= 30 ? 10 : 8}px system-ui, sans-serif`;
  context.textAlign = 'center';
  context.textBaseline = 'middle';
  map.points.forEach((point, k) => {
    const column = k % columns;
    const row = rows - 1 - Math.floor(k / columns); // β grows upward
    const value = point.absRatio;
    if (value === null) context.fillStyle = theme.grid;
    else {
      writeColor(table, Math.min(value, RATIO_COLOR_MAX) / RATIO_COLOR_MAX, rgb, 0, 255);
      context.fillStyle = `rgb(${rgb[0]}, ${rgb[1]}, ${rgb[2]})`;
    }
    const x = MARGIN.left + column * cell;
    const y = MARGIN.top + row * cell;
    context.fillRect(x, y, cell, cell);
    if (cell >= 22) {
      context.fillStyle = value !== null && value > 0.6 * RATIO_COLOR_MAX ? '#000' : '#fff';
      context.fillText(value === null ? '—' : formatNumber(value, 2), x + cell / 2, y + cell / 2);
    }
  });
  context.strokeStyle = theme.muted;
  context.strokeRect(MARGIN.left + 0.5, MARGIN.top + 0.5, columns * cell - 1, rows * cell - 1);
  // Axes: a tick and value under every column and beside every row (every other one on big sub-grids).
  const { alphas, betas } = hessianAxes(map);
  const every = (n: number) => (n > 7 ? 2 : 1);
  context.fillStyle = theme.foreground;
  context.font = '10px system-ui, sans-serif';
  context.textBaseline = 'top';
  alphas.forEach((alpha, c) => {
    if (c % every(columns) !== 0 && c !== columns - 1) return;
    const x = MARGIN.left + (c + 0.5) * cell;
    context.fillRect(x, MARGIN.top + rows * cell, 1, 3);
    context.fillText(formatNumber(alpha, 2), x, MARGIN.top + rows * cell + 4);
  });
  context.font = '12px system-ui, sans-serif';
  context.fillText('α', MARGIN.left + (columns * cell) / 2, MARGIN.top + rows * cell + 18);
  context.font = '10px system-ui, sans-serif';
  context.textAlign = 'right';
  context.textBaseline = 'middle';
  betas.forEach((beta, r) => {
    if (r % every(rows) !== 0 && r !== rows - 1) return;
    const y = MARGIN.top + (rows - 1 - r + 0.5) * cell;
    context.fillRect(MARGIN.left - 3, y, 3, 1);
    context.fillText(formatNumber(beta, 2), MARGIN.left - 5, y);
  });
  context.font = '12px system-ui, sans-serif';
  context.textAlign = 'center';
  context.fillText('β', 8, MARGIN.top + (rows * cell) / 2);
  canvas.dataset.alphaTicks = alphas.map((a) => formatNumber(a, 2)).join(',');
  canvas.dataset.betaTicks = betas.map((b) => formatNumber(b, 2)).join(',');
  return canvas;
}
