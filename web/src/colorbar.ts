import { COLORMAPS, type ColormapName } from './colormap.ts';
import { formatNumber } from './format.ts';
import { inverseTransform, lossTicks, normalize, transformValue, type ScaleOptions, type ValueRange } from './scale.ts';
import type { ThemeColors } from './theme.ts';

/**
 * Draws a vertical color bar with loss-unit ticks into `canvas` at its CSS size (crisp on HiDPI).
 * Used next to the 3D and 2D views and composited into PNG exports.
 */
export function drawColorbar(
  canvas: HTMLCanvasElement,
  colormap: ColormapName,
  range: ValueRange | null,
  scale: ScaleOptions,
  theme: ThemeColors,
  /** What the colors show: loss, or the difference of two losses. */
  quantity = 'loss',
): void {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || 84;
  const height = canvas.clientHeight || 300;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  const context = canvas.getContext('2d')!;
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.clearRect(0, 0, width, height);
  if (!range) return;
  const top = 22;
  const bottom = height - 12;
  const barLeft = 6;
  const barWidth = 16;
  const interpolate = COLORMAPS[colormap];
  for (let y = top; y < bottom; y++) {
    context.fillStyle = interpolate(1 - (y - top) / (bottom - top - 1));
    context.fillRect(barLeft, y, barWidth, 1);
  }
  context.strokeStyle = theme.muted;
  context.strokeRect(barLeft + 0.5, top + 0.5, barWidth - 1, bottom - top - 1);
  context.fillStyle = theme.foreground;
  context.font = '12px system-ui, sans-serif';
  context.textBaseline = 'middle';
  context.fillText(scale.scale === 'log' ? `${quantity} (log)` : quantity, 2, 10);
  for (const loss of lossTicks(range, scale, 6)) {
    const y = bottom - normalize(transformValue(loss, scale), range) * (bottom - top);
    context.fillRect(barLeft + barWidth, y, 4, 1);
    context.fillText(formatNumber(loss, 3), barLeft + barWidth + 7, y);
  }
  canvas.setAttribute('aria-label', `Color bar ${colormap}, ${quantity} from ${formatNumber(inverseTransform(range.min, scale))} to ${formatNumber(inverseTransform(range.max, scale))}`);
}
