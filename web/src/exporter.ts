import type { SurfaceExportName } from '../../contract/exports/format-names.ts';
import { downloadBlob, downloadUrl, surfaceToCsv, surfaceToJson } from './export.ts';
import type { SurfaceFeed } from './feed.ts';

/** What is on screen, as the exporter sees it: the single view or the compare view. */
export interface ExportSource {
  /** File name without extension, e.g. "surface-<id>" or "compare-<id>-<id>". */
  readonly fileStem: string;
  snapshot(): HTMLCanvasElement | null;
  feeds(): SurfaceFeed[];
}

export type DataFormat = 'csv' | 'json';

/** The files the API writes of a finished surface (GET /api/v1/surfaces/{id}/export.{format}), beyond what the viewer writes itself. */
export const SERVER_FORMATS = ['h5', 'npz', 'vtp', 'obj', 'stl'] as const satisfies readonly SurfaceExportName[];
export type ServerFormat = (typeof SERVER_FORMATS)[number];

/** Where the API serves a surface as `format`. */
export function serverExportUrl(id: string, format: ServerFormat): string {
  return `/api/v1/surfaces/${encodeURIComponent(id)}/export.${format}`;
}

/** One surface as a file: CSV rows per grid point, or the API's result layout with its request and provenance. */
export function surfaceFile(feed: SurfaceFeed, format: DataFormat): { text: string; type: string; fileName: string } {
  const text =
    format === 'csv' ? surfaceToCsv(feed.grid) : surfaceToJson(feed.grid, { id: feed.id, status: feed.status, request: feed.record.request, provenance: feed.record.provenance });
  return { text, type: format === 'csv' ? 'text/csv' : 'application/json', fileName: `surface-${feed.id}.${format}` };
}

/** The view panel's export actions: a PNG of the view shown, and the data of every surface in it. */
export class Exporter {
  constructor(
    private readonly source: () => ExportSource | null,
    private readonly nothing: () => void,
  ) {}

  png(): void {
    const source = this.source();
    const image = source?.snapshot() ?? null;
    if (!source || !image) return this.nothing();
    image.toBlob((blob) => blob && downloadBlob(blob, `${source.fileStem}.png`), 'image/png');
  }

  /** The API's file of every finished surface shown (h5 in the reference's layout, meshes, npz). */
  server(format: ServerFormat): void {
    const finished = (this.source()?.feeds() ?? []).filter((feed) => feed.status === 'completed');
    if (finished.length === 0) return this.nothing();
    for (const feed of finished) downloadUrl(serverExportUrl(feed.id, format), `surface-${feed.id}.${format}`);
  }

  data(format: DataFormat): void {
    const feeds = this.source()?.feeds() ?? [];
    if (feeds.length === 0) return this.nothing();
    for (const feed of feeds) {
      const file = surfaceFile(feed, format);
      downloadBlob(new Blob([file.text], { type: file.type }), file.fileName);
    }
  }
}
