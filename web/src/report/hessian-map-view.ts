import type { HessianMapResult } from '../../../contract/metrics/hessian.ts';
import { colormapTable, writeColor } from '../colormap.ts';
import { formatNumber } from '../format.ts';
import type { ThemeColors } from '../theme.ts';

/** |λmin/λmax| at or above this saturates the color (Li et al.'s maps top out near 1). */
export const RATIO_COLOR_MAX = 1;
const CELL = 36;

/**
 * Li et al.'s Fig. 7: |λmin/λmax| over the sub-grid, one cell per point (α right, β up), dark =
 * locally convex, bright = strong negative curvature, grey = no value (non-finite products or
 * λmax = 0). Values are printed in the cells.
 */
export function renderHessianMap(map: HessianMapResult, theme: ThemeColors): HTMLCanvasElement {
  const [rows, columns] = map.shape as [number, number];
  const canvas = document.createElement('canvas');
  const ratio = window.devicePixelRatio || 1;
  canvas.width = columns * CELL * ratio;
  canvas.height = rows * CELL * ratio;
  canvas.style.width = `${columns * CELL}px`;
  canvas.style.height = `${rows * CELL}px`;
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', `|λmin/λmax| over a ${columns}×${rows} sub-grid; mean ${formatNumber(map.summary.meanAbsRatio)}`);
  const context = canvas.getContext('2d')!;
  context.scale(ratio, ratio);
  const table = colormapTable('viridis');
  const rgb = new Uint8ClampedArray(3);
  context.font = '10px system-ui, sans-serif';
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
    context.fillRect(column * CELL, row * CELL, CELL, CELL);
    context.fillStyle = value !== null && value > 0.6 * RATIO_COLOR_MAX ? '#000' : '#fff';
    context.fillText(value === null ? '—' : formatNumber(value, 2), column * CELL + CELL / 2, row * CELL + CELL / 2);
  });
  return canvas;
}
