import type { Progress, SurfaceRecord, SurfaceResult, Trajectory } from '../../contract/index.ts';
import { ApiError, api, followSurface } from './api.ts';
import { applyChunk, createGrid, FINITE, gridFromResult, PENDING, previewGrid, recordAxes, type SurfaceGrid } from './grid.ts';

export type FeedStatus = SurfaceRecord['status'] | 'lost';

/** Where a surface refined coarse to fine (provenance.progressive) stands while it computes. */
export interface PreviewState {
  /** The level landing now (0-based): the first whose points are not all in. */
  level: number;
  levels: number;
  /** Sample count of the subset preview (preview events) still drawn at some point not computed yet; null when none is. */
  samples: number | null;
}

export interface FeedListener {
  /** Values changed (a chunk arrived or the final result replaced the grid). */
  data(feed: SurfaceFeed): void;
  /** Status, progress or error changed. */
  status(feed: SurfaceFeed): void;
}

/**
 * One surface as it computes: the record, a grid that fills from SSE chunk events (the stream
 * replays from the start, so opening late still gets every row), then the exact final result.
 * `grid` only ever holds computed values (exports read it); `shown` is what to draw: while a
 * progressively refined surface computes, the grid with a preview at the points not computed yet.
 */
export class SurfaceFeed {
  status: FeedStatus;
  progress: Progress;
  error: { code: string; message: string } | null;
  /** A PCA surface's training path projected onto its plane (from the result). */
  trajectory: Trajectory | null = null;
  /** A 1D surface evaluated on train and test side by side (from the result). */
  splits: NonNullable<SurfaceResult['splits']> | null = null;
  /** performance.now() of the first chunk drawn into the grid (for the submit-to-first-rows measure). */
  firstChunkAt: number | null = null;
  private stop: (() => void) | null = null;
  /** Values of the preview events (a subset of the samples), kept out of `grid`. */
  private subset: { grid: SurfaceGrid; samples: number } | null = null;
  /** Points in per refinement level, from chunk events counted once by index (a retried chunk's event comes again). */
  private readonly levelPoints: number[];
  private readonly chunksSeen = new Set<number>();
  private shownGrid: SurfaceGrid | null = null;

  private constructor(
    public record: SurfaceRecord,
    public grid: SurfaceGrid,
    private readonly listener: FeedListener,
  ) {
    this.status = record.status;
    this.progress = record.progress;
    this.error = record.error;
    this.levelPoints = (record.provenance.progressive?.levelPoints ?? []).map(() => 0);
  }

  static async open(id: string, listener: FeedListener): Promise<SurfaceFeed> {
    const record = await api.surface(id);
    const { x, y } = recordAxes(record);
    const feed = new SurfaceFeed(record, createGrid(x, y, record.provenance.loss !== 'mse'), listener);
    if (record.status === 'completed') await feed.loadResult();
    else if (record.status === 'queued' || record.status === 'running') feed.follow();
    return feed;
  }

  get id(): string {
    return this.record.id;
  }

  /** While a progressively refined surface computes, where its levels stand; else null. */
  get preview(): PreviewState | null {
    const progressive = this.record.provenance.progressive;
    if (!progressive || (this.status !== 'queued' && this.status !== 'running')) return null;
    const level = progressive.levelPoints.findIndex((points, k) => this.levelPoints[k]! < points);
    if (level < 0) return null;
    const subset = this.subset;
    const subsetShown = subset !== null && subset.grid.state.some((state, at) => state === FINITE && this.grid.state[at] === PENDING);
    return { level, levels: progressive.levels, samples: subsetShown ? subset.samples : null };
  }

  /** What to draw: `grid`, with a preview (grid.ts previewGrid) at the points not computed yet while the surface refines progressively. */
  get shown(): SurfaceGrid {
    if (!this.preview) return this.grid;
    return (this.shownGrid ??= previewGrid(this.grid, this.subset?.grid ?? null));
  }

  close(): void {
    this.stop?.();
    this.stop = null;
  }

  private follow(): void {
    this.stop = followSurface(this.id, {
      progress: (progress) => {
        this.progress = progress;
        if (this.status === 'queued') this.status = 'running';
        this.listener.status(this);
      },
      chunk: (chunk) => {
        if (!this.chunksSeen.has(chunk.index) && chunk.level < this.levelPoints.length) this.levelPoints[chunk.level]! += chunk.ix.length;
        this.chunksSeen.add(chunk.index);
        // A 1D surface on train and test side by side (request.splits) streams its later splits as further rows: they arrive with the result.
        if (this.record.request.splits && chunk.iy > 0) return;
        if (applyChunk(this.grid, chunk) > 0) {
          this.firstChunkAt ??= performance.now();
          this.shownGrid = null;
          this.listener.data(this);
        }
      },
      preview: (values) => {
        if (this.record.request.splits && values.iy > 0) return;
        if (!this.subset) {
          const { x, y } = recordAxes(this.record);
          this.subset = { grid: createGrid(x, y, this.grid.accuracy !== null), samples: values.samples };
        }
        applyChunk(this.subset.grid, values);
        this.shownGrid = null;
        this.listener.data(this);
      },
      done: () => void this.loadResult(),
      failed: (error) => this.finish('failed', error),
      cancelled: () => this.finish('cancelled', null),
      lost: () => this.finish('lost', { code: 'STREAM_LOST', message: 'Lost the connection to the progress stream; reload to resume.' }),
    });
  }

  private finish(status: FeedStatus, error: { code: string; message: string } | null): void {
    this.close();
    this.status = status;
    this.error = error;
    this.listener.status(this);
  }

  private async loadResult(): Promise<void> {
    try {
      const [result, record] = await Promise.all([api.result(this.id), api.surface(this.id)]);
      this.record = record;
      this.grid = gridFromResult(result);
      this.shownGrid = null;
      this.trajectory = result.trajectory ?? null;
      this.splits = result.splits ?? null;
      this.progress = record.progress;
      this.finish('completed', null);
      this.listener.data(this);
    } catch (error) {
      this.finish('failed', error instanceof ApiError ? { code: error.code, message: error.message } : { code: 'RESULT', message: String(error) });
    }
  }
}
