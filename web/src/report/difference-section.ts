import type { SurfaceDifference } from '../../../contract/metrics/difference.ts';
import { NOISE_STANDARD_ERRORS } from '../../../contract/metrics/surface-metrics.ts';
import { drawColorbar } from '../colorbar.ts';
import { DIVERGING_COLORMAP } from '../colormap.ts';
import { formatNumber, formatPercent, formatPlusMinus, formatPoint } from '../format.ts';
import { gridFromResult, readPoint } from '../grid.ts';
import { HeatmapView } from '../heatmap.ts';
import type { ThemeColors } from '../theme.ts';

/**
 * The report's "Differences" section: L_A − L_B of two members point-wise (GET
 * /api/v1/surfaces/{a}/difference/{b}, which refuses surfaces not on identical grids, samples and
 * direction settings), on a diverging color scale symmetric about 0, with its metrics and a
 * readout of d ± its standard error. The pair is chosen with two menus; the first two members are
 * shown on opening (a demo lists each net next to its no-skip twin).
 */

export interface DifferenceMember {
  label: string;
  surfaceId: string;
}

export interface DifferenceElements {
  minuend: HTMLSelectElement;
  subtrahend: HTMLSelectElement;
  plot: HTMLElement;
  colorbar: HTMLCanvasElement;
  metrics: HTMLElement;
  readout: HTMLElement;
}

/** One sentence of the difference's metrics, the noise share first: what a reader checks before trusting a bump. */
export function differenceSummary(a: string, b: string, d: SurfaceDifference): string {
  const m = d.metrics;
  const noise = m.beyondNoiseShare === null
    ? 'no standard errors were recorded, so the sampling noise is unknown'
    : `${formatPercent(m.beyondNoiseShare)} of the points differ by more than ${NOISE_STANDARD_ERRORS} standard errors`;
  return `${a} − ${b} over ${m.points} points: mean ${formatNumber(m.meanDifference, 3)}, mean |d| ${formatNumber(m.meanAbsolute, 3)}, ` +
    `max |d| ${formatNumber(m.maxAbsolute, 3)}; ${noise}.`;
}

export class DifferenceSection {
  private view: HeatmapView | null = null;
  private members: DifferenceMember[] = [];
  /** surfaceId pair on screen (or being loaded): a menu change that names it again draws nothing. */
  private shown = '';

  constructor(
    private readonly elements: DifferenceElements,
    private readonly theme: ThemeColors,
    private readonly load: (a: string, b: string) => Promise<SurfaceDifference>,
  ) {
    const redraw = () => void this.draw().catch((error: Error) => (this.elements.metrics.textContent = `No difference: ${error.message}`));
    elements.minuend.addEventListener('change', redraw);
    elements.subtrahend.addEventListener('change', redraw);
  }

  /** Offers the members with a finished 2D surface; draws the chosen pair (the first two at first). */
  async setMembers(members: DifferenceMember[]): Promise<void> {
    const key = members.map((m) => `${m.label}=${m.surfaceId}`).join();
    if (key === this.members.map((m) => `${m.label}=${m.surfaceId}`).join()) return;
    this.members = members;
    for (const [select, initial] of [[this.elements.minuend, 0], [this.elements.subtrahend, 1]] as const) {
      select.replaceChildren(...members.map((m, k) => Object.assign(document.createElement('option'), { value: String(k), textContent: m.label, selected: k === initial })));
    }
    await this.draw();
  }

  private async draw(): Promise<void> {
    const a = this.members[Number(this.elements.minuend.value)];
    const b = this.members[Number(this.elements.subtrahend.value)];
    if (!a || !b) return;
    const key = `${a.surfaceId}-${b.surfaceId}`;
    if (key === this.shown) return;
    this.shown = key;
    const difference = await this.load(a.surfaceId, b.surfaceId);
    if (this.shown !== key) return;
    const grid = gridFromResult(difference);
    const largest = difference.metrics.maxAbsolute || 1;
    const range = { min: -largest, max: largest };
    const scale = { scale: 'linear', epsilon: 0, clip: null } as const;
    drawColorbar(this.elements.colorbar, DIVERGING_COLORMAP, range, scale, this.theme, `L(${a.label}) − L(${b.label})`);
    this.elements.metrics.textContent = differenceSummary(a.label, b.label, difference);
    this.view?.dispose();
    this.elements.plot.replaceChildren();
    const view = new HeatmapView(this.elements.plot, { colormap: DIVERGING_COLORMAP, scale, levels: null, isolinesOnSurface: false, isolinesOnBase: false, wireframe: false, mapMode: 'heatmap', quantity: 'loss difference' }, this.theme, {
      hover: ({ ix, iy }) => {
        view.setCursor({ ix, iy });
        const at = readPoint(grid, ix, iy);
        const stdError = at.lossStdError === null ? '' : `${formatPlusMinus(at.lossStdError)} (se)`;
        this.elements.readout.textContent = `${formatPoint(at.alpha, at.beta)}: L(${a.label}) − L(${b.label}) = ${formatNumber(at.loss)}${stdError}`;
      },
    });
    view.canvas.classList.add('difference-map');
    view.canvas.setAttribute('aria-label', `Loss of ${a.label} minus loss of ${b.label} over α and β, diverging color scale centred on 0`);
    view.setSharedRange(range);
    view.setGrid(grid);
    this.view = view;
  }

  dispose(): void {
    this.view?.dispose();
    this.view = null;
  }
}
