import type { SurfaceRecord } from '../../contract/index.ts';
import { recordAxes } from './grid.ts';
import type { FeedStatus } from './feed.ts';
import { formatNumber, formatPercent } from './format.ts';

/** The single view's title and provenance line: what was computed, on what, how, and how fast. */
export function surfaceCaption(record: SurfaceRecord): { title: string; provenance: string } {
  const { provenance: p } = record;
  const { x, y } = recordAxes(record);
  const grid = y ? `${x.num}×${y.num} over α [${x.min}, ${x.max}], β [${y.min}, ${y.max}]` : `${x.num} points over α [${x.min}, ${x.max}]`;
  const seconds = record.timings.secondsPerPoint;
  return {
    title: `${record.name ?? p.model.name} · ${grid}`,
    provenance:
      `model ${p.model.id} (${p.model.parameterCount.toLocaleString('en')} parameters) · ${p.dataset.id} ${p.splits ? p.splits.map((s) => s.split).join(' and ') : p.dataset.split}, ${p.dataset.samples} samples · ` +
      `${directionsText(p.directions)}` +
      `${p.directions.cosine !== null ? `, cos(δ, η) = ${formatNumber(p.directions.cosine, 3)}` : ''} · loss ${p.loss}` +
      `${p.engine ? ` · ${p.engine.name}/${p.engine.backend}` : ''}${seconds ? ` · ${formatNumber(seconds * 1000, 3)} ms per point` : ''} · id ${record.id}`,
  };
}

export interface FeedState {
  status: FeedStatus;
  progress: { done: number; total: number };
  error: { code: string; message: string } | null;
}

/** The progress line of a surface: its text, the bar's percent, and whether it can still be cancelled. */
export function progressLine(feed: FeedState): { text: string; percent: number; cancellable: boolean } {
  const { done, total } = feed.progress;
  const completed = feed.status === 'completed';
  const percent = completed ? 100 : total > 0 ? Math.floor((100 * done) / total) : 0;
  const text = completed
    ? `completed · ${total} points · 100 %`
    : feed.status === 'failed' || feed.status === 'lost'
      ? `failed: ${feed.error?.message ?? 'unknown error'}${feed.error?.code ? ` (${feed.error.code})` : ''}`
      : feed.status === 'cancelled'
        ? `cancelled at ${done} / ${total} points`
        : `${feed.status} · ${done} / ${total} points · ${percent} %`;
  return { text, percent, cancellable: feed.status === 'running' || feed.status === 'queued' };
}

/** How the directions were made: the random kind's options, the models of a difference, or a PCA's source and explained variance. */
function directionsText(d: SurfaceRecord['provenance']['directions']): string {
  const models = (d.models ?? []).map((m) => m.id).join(' and ');
  if (d.kind === 'interpolation') return `interpolation to model ${models} (${d.mode})`;
  if (d.kind === 'models') return `plane through models ${models} (${d.mode})`;
  if (d.kind === 'pca' && d.pca) {
    const explained = d.pca.explainedVarianceRatio.map((r) => formatPercent(r, 1)).join(', ');
    return `PCA of ${d.pca.source}, epochs ${d.pca.epochs.join(', ')}${explained ? `, explained variance ${explained}` : ''}, ignore ${d.ignore}`;
  }
  return `directions ${d.normalization}, ignore ${d.ignore}, ${d.mode}, seed ${d.seed}`;
}
