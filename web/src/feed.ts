import type { Progress, SurfaceRecord, SurfaceResult, Trajectory } from '../../contract/index.ts';
import { ApiError, api, followSurface } from './api.ts';
import { applyChunk, createGrid, gridFromResult, recordAxes, type SurfaceGrid } from './grid.ts';

export type FeedStatus = SurfaceRecord['status'] | 'lost';

export interface FeedListener {
  /** Values changed (a chunk arrived or the final result replaced the grid). */
  data(feed: SurfaceFeed): void;
  /** Status, progress or error changed. */
  status(feed: SurfaceFeed): void;
}

/**
 * One surface as it computes: the record, a grid that fills from SSE chunk events (the stream
 * replays from the start, so opening late still gets every row), then the exact final result.
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

  private constructor(
    public record: SurfaceRecord,
    public grid: SurfaceGrid,
    private readonly listener: FeedListener,
  ) {
    this.status = record.status;
    this.progress = record.progress;
    this.error = record.error;
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
        // A 1D surface on train and test side by side (request.splits) streams its later splits as further rows: they arrive with the result.
        if (this.record.request.splits && chunk.iy > 0) return;
        if (applyChunk(this.grid, chunk) > 0) {
          this.firstChunkAt ??= performance.now();
          this.listener.data(this);
        }
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
