import type { EnsembleRecord } from '../../contract/ensembles.ts';
import type { EnsembleStatistics, MetricSpread } from '../../contract/metrics/ensemble.ts';
import { api } from './api.ts';
import { formatNumber } from './format.ts';
import { gridFromResult } from './grid.ts';
import { finiteRange } from './scale.ts';
import type { SingleView, StaticSurface } from './single-view.ts';

type Grid = (number | null)[][];

const IQR_QUANTITY = 'IQR of loss';
/** How often a running ensemble's progress is read. */
const POLL_MS = 1000;

/**
 * The median surface of an ensemble: heights the point-wise median loss, colored (3D) and mapped
 * (2D) by the interquartile range q3 − q1 over the members, with q1 and q3 as curves beside the
 * median in the slices.
 */
export function medianSurface(record: EnsembleRecord, statistics: EnsembleStatistics): StaticSurface {
  const { loss } = statistics;
  const layout = { kind: statistics.kind, shape: statistics.shape, axes: statistics.axes };
  const grid = gridFromResult({ ...layout, loss: loss.median, accuracy: statistics.accuracy?.median ?? null });
  const iqr: Grid = loss.q3.map((row, iy) => row.map((q3, ix) => (q3 === null || loss.q1[iy]![ix] === null ? null : q3 - loss.q1[iy]![ix]!)));
  const map = gridFromResult({ ...layout, loss: iqr, accuracy: null });
  const flat = (rows: Grid) => Float64Array.from(rows.flat(), (v) => v ?? NaN);
  const spread = (path: string, name: string) => {
    const s: MetricSpread | undefined = statistics.metrics[path];
    return s?.median == null ? null : `${name} ${formatNumber(s.median, 4)} (IQR ${formatNumber(s.q1!, 4)} to ${formatNumber(s.q3!, 4)})`;
  };
  const figures = [
    spread('sharpness.meanRise', 'mean loss rise near θ*'),
    spread('roughness.strictLocalMinima', 'strict local minima'),
    spread('basin[tau=0.5].share', 'basin share (τ = 0.5)'),
  ].filter(Boolean);
  return {
    title: `Ensemble ${record.name ?? record.id}: median of ${record.k} surfaces`,
    quantity: 'median loss',
    grid,
    color: { values: map.loss, range: finiteRange([map.loss]) ?? { min: 0, max: 1 }, quantity: IQR_QUANTITY },
    map,
    bands: [
      { name: 'q1', values: flat(loss.q1) },
      { name: 'q3', values: flat(loss.q3) },
    ],
    status: `median over ${record.k} direction pairs · color: interquartile range`,
    caption: `Medians over the members: ${figures.join('; ')} · direction seeds ${record.directions.seeds.join(', ')} (${record.directions.rule})`,
    readout: (ix, iy) => {
      const at = (g: Grid) => formatNumber(g[iy]![ix]!, 4);
      return loss.finiteMembers[iy]![ix] === 0
        ? 'no member finite'
        : `IQR ${at(loss.q1)} to ${at(loss.q3)}, min ${at(loss.min)}, max ${at(loss.max)} over ${loss.finiteMembers[iy]![ix]} of ${record.k} members`;
    },
  };
}

export interface EnsembleViewEvents {
  /** Show the median (null) or member j (1 … k). */
  step(member: number | null): void;
  error(error: unknown): void;
}

/**
 * An ensemble in the single view: a bar to step between the median and each member (a member is
 * its own surface, opened live), and the median surface once every member is done. While members
 * run, the bar says how far they are and the median follows when the last one completes.
 */
export class EnsembleView {
  private readonly bar = document.createElement('nav');
  private id: string | null = null;
  private timer: number | undefined;

  constructor(
    anchor: HTMLElement,
    private readonly single: SingleView,
    private readonly events: EnsembleViewEvents,
  ) {
    this.bar.className = 'ensemble-members';
    this.bar.id = 'ensemble-members';
    this.bar.setAttribute('aria-label', 'Ensemble members');
    this.bar.hidden = true;
    anchor.after(this.bar);
  }

  /** Opens ensemble `id` at the median (member null) or member j. */
  async open(id: string, member: number | null): Promise<void> {
    this.close();
    this.id = id;
    let record: EnsembleRecord;
    try {
      record = await api.ensemble(id);
    } catch (error) {
      this.events.error(error);
      return;
    }
    if (this.id !== id) return;
    const chosen = member !== null && member <= record.k ? member : null;
    this.drawBar(record, chosen);
    if (chosen !== null) {
      await this.single.open(record.members[chosen - 1]!.surfaceId);
      return;
    }
    this.single.close();
    await this.showMedian(record);
  }

  close(): void {
    clearTimeout(this.timer);
    this.id = null;
    this.bar.hidden = true;
  }

  private async showMedian(record: EnsembleRecord): Promise<void> {
    if (record.status === 'completed') {
      try {
        const statistics = await api.ensembleStatistics(record.id);
        if (this.id === record.id) this.single.showStatic(medianSurface(record, statistics));
      } catch (error) {
        this.events.error(error);
      }
      return;
    }
    if (record.status !== 'queued' && record.status !== 'running') {
      this.setNote(`The ensemble is ${record.status}${record.error ? `: ${record.error.message}` : ''}; no median.`);
      return;
    }
    this.setNote(`Computing: ${record.progress.done} of ${record.progress.total} points; the median appears when all ${record.k} members are done.`);
    this.timer = window.setTimeout(async () => {
      if (this.id !== record.id) return;
      try {
        await this.showMedian(await api.ensemble(record.id));
      } catch (error) {
        this.events.error(error);
      }
    }, POLL_MS);
  }

  private drawBar(record: EnsembleRecord, member: number | null): void {
    const button = (label: string, target: number | null, title: string) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = label;
      b.title = title;
      b.setAttribute('aria-pressed', String(target === member));
      b.addEventListener('click', () => this.events.step(target));
      return b;
    };
    const previous = member === null ? record.k : member === 1 ? null : member - 1;
    const next = member === null ? 1 : member === record.k ? null : member + 1;
    this.bar.replaceChildren(
      Object.assign(document.createElement('span'), { textContent: `Ensemble of ${record.k}:` }),
      button('◀', previous, 'Previous'),
      button('Median', null, 'The median surface, colored by the interquartile range'),
      ...record.members.map((m, j) => button(String(j + 1), j + 1, `Member ${j + 1}: direction seed ${m.seed} (${m.status})`)),
      button('▶', next, 'Next'),
      Object.assign(document.createElement('span'), { className: 'ensemble-note' }),
    );
    this.bar.hidden = false;
  }

  private setNote(text: string): void {
    const note = this.bar.querySelector('.ensemble-note');
    if (note) note.textContent = text;
  }
}
