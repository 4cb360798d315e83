import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { SpectrumListItem, SpectrumResult } from '../../../contract/metrics/spectrum.ts';
import { formatCoordinate, formatNumber } from '../format.ts';
import { logYAxis } from './log-axis.ts';
import type { ThemeColors } from '../theme.ts';

/**
 * The Hessian spectrum of a member as PyHessian shows it: the top-k eigenvalues, the Hutchinson
 * trace with its standard error, and the SLQ spectral density on a log axis (PyHessian's
 * get_esd_plot draws density + 1e-7 with semilogy). The report shows what the API has stored and
 * computes nothing on open; "Compute the spectrum" POSTs a request for it.
 */

/** PyHessian's floor under the density, so the log axis shows the empty stretches between eigenvalue clusters. */
export const DENSITY_FLOOR = 1e-7;

/** The spectrum to show: the latest at θ*, else the latest anywhere (its point is named). */
export function spectrumToShow(items: readonly SpectrumListItem[]): SpectrumListItem | null {
  const completed = items.filter((item) => item.result);
  return completed.find((item) => item.result!.point.ix === null) ?? completed[0] ?? items[0] ?? null;
}

/** Density series for the plot: x = eigenvalue, y = density + DENSITY_FLOOR (averaged over the SLQ vectors already). */
export function densitySeries(result: SpectrumResult): { x: number[]; y: number[] } {
  return { x: result.density.grid, y: result.density.density.map((d) => Math.max(0, d) + DENSITY_FLOOR) };
}

function where(result: SpectrumResult): string {
  return result.point.ix === null ? 'at θ*' : `at (α, β) = (${formatCoordinate(result.point.x)}, ${formatCoordinate(result.point.y)})`;
}

/** Figures of one spectrum: top eigenvalues, trace, settings. */
export function spectrumFacts(result: SpectrumResult): { name: string; value: string }[] {
  const s = result.settings;
  return [
    { name: `Top ${result.topEigenvalues.eigenvalues.length} eigenvalues`, value: result.topEigenvalues.eigenvalues.map((v) => formatNumber(v, 3)).join(', ') + (result.topEigenvalues.converged ? '' : ' (not converged)') },
    { name: 'Trace (Hutchinson)', value: `${formatNumber(result.trace.trace, 4)} ± ${formatNumber(result.trace.standardError, 2)}` },
    { name: 'Settings', value: `${where(result)}, ${s.samples} samples, ${s.parameters}, ${s.densitySteps} Lanczos steps × ${s.densityVectors} vector(s), ${s.traceSamples} trace vectors` },
  ];
}

export interface SpectrumPanelEvents {
  /** POST the spectrum request; resolves with the item to follow. */
  request(): Promise<SpectrumListItem>;
  /** Poll one spectrum by id. */
  poll(id: string): Promise<SpectrumListItem>;
}

const POLL_MS = 2000;

/** One member's spectrum panel: the result, its progress, or "not computed" with a button. */
export class SpectrumPanel {
  readonly element = document.createElement('div');
  private plot: uPlot | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly memberLabel: string,
    private readonly theme: ThemeColors,
    private readonly events: SpectrumPanelEvents | null,
  ) {
    this.element.className = 'spectrum';
  }

  show(item: SpectrumListItem | null): void {
    this.dispose();
    this.element.replaceChildren();
    this.element.dataset.state = item?.status ?? 'none';
    if (item?.result) {
      this.renderResult(item.result);
      return;
    }
    const note = document.createElement('p');
    note.className = 'spectrum-note';
    if (!item) {
      note.textContent = 'Hessian spectrum: not computed.';
      this.element.append(note);
      if (this.events) this.element.append(this.button());
      else note.textContent += ' The member has no finished surface to compute it on.';
      return;
    }
    if (item.status === 'failed') {
      note.textContent = `Hessian spectrum failed: ${item.error ?? 'unknown error'}`;
      this.element.append(note);
      if (this.events) this.element.append(this.button('Try again'));
      return;
    }
    note.textContent = `Hessian spectrum ${item.status}: ${item.progress?.done ?? 0} of ${item.progress?.total ?? '?'} Hessian-vector products`;
    this.element.append(note);
    this.follow(item.id);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.plot?.destroy();
    this.plot = null;
  }

  private button(text = 'Compute the spectrum'): HTMLButtonElement {
    const button = Object.assign(document.createElement('button'), { type: 'button', textContent: text, className: 'spectrum-request' });
    button.title = 'POST /api/v1/surfaces/{id}/spectrum at θ* with the default settings (top 5 eigenvalues, 20 trace vectors, 100 SLQ steps)';
    button.setAttribute('aria-label', `${text} of ${this.memberLabel}`);
    button.addEventListener('click', async () => {
      button.disabled = true;
      try {
        this.show(await this.events!.request());
      } catch (error) {
        button.disabled = false;
        this.element.querySelector('.spectrum-note')!.textContent = `The spectrum could not be requested: ${(error as Error).message}`;
      }
    });
    return button;
  }

  private follow(id: string): void {
    this.timer = setTimeout(async () => {
      try {
        this.show(await this.events!.poll(id));
      } catch (error) {
        this.element.querySelector('.spectrum-note')!.textContent = `Lost the spectrum's progress: ${(error as Error).message}`;
      }
    }, POLL_MS);
  }

  private renderResult(result: SpectrumResult): void {
    const facts = document.createElement('dl');
    facts.className = 'spectrum-facts';
    for (const { name, value } of spectrumFacts(result)) facts.append(Object.assign(document.createElement('dt'), { textContent: name }), Object.assign(document.createElement('dd'), { textContent: value }));
    const host = document.createElement('div');
    host.className = 'spectrum-density';
    this.element.append(facts, host);
    const { x, y } = densitySeries(result);
    const axisStyle = { stroke: this.theme.foreground, grid: { stroke: this.theme.grid, width: 1 }, ticks: { stroke: this.theme.grid, width: 1 } };
    const top = result.topEigenvalues.eigenvalues;
    this.plot = new uPlot(
      {
        title: `Spectral density ${where(result)} (SLQ)`,
        width: 380,
        height: 220,
        legend: { show: false },
        scales: { x: { time: false }, y: { distr: 3 } },
        series: [{}, { label: 'density', stroke: '#3b5bdb', width: 1.5, points: { show: false } }],
        axes: [
          { ...axisStyle, label: 'eigenvalue' },
          logYAxis(host, axisStyle, 'density (log)', 60),
        ],
        hooks: {
          // The top eigenvalues as short red ticks along the bottom: where the density's right edge should end.
          draw: [
            (plot: uPlot) => {
              const context = plot.ctx;
              context.save();
              context.strokeStyle = '#d62728';
              context.lineWidth = 2 * (window.devicePixelRatio || 1);
              for (const value of top) {
                const left = plot.valToPos(value, 'x', true);
                context.beginPath();
                context.moveTo(left, plot.bbox.top + plot.bbox.height);
                context.lineTo(left, plot.bbox.top + plot.bbox.height - 10 * (window.devicePixelRatio || 1));
                context.stroke();
              }
              context.restore();
            },
          ],
        },
      },
      [x, y],
      host,
    );
    const canvas = host.querySelector('canvas');
    canvas?.setAttribute('role', 'img');
    canvas?.setAttribute('aria-label', `Spectral density of ${this.memberLabel}'s Hessian ${where(result)}, eigenvalues from ${formatNumber(x[0])} to ${formatNumber(x[x.length - 1])}`);
  }
}
