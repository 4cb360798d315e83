import type { ChunkValues, DatasetInfo, ModelRecord, PreviewValues, Progress, SurfaceEventName, SurfaceRecord, SurfaceRequest, SurfaceResult } from '../../contract/index.ts';
import type { StoredComparison } from '../../contract/comparisons.ts';
import type { EnsembleRecord } from '../../contract/ensembles.ts';
import type { EnsembleStatistics } from '../../contract/metrics/ensemble.ts';
import type { SurfaceDifference } from '../../contract/metrics/difference.ts';

/** An API answer other than 2xx, with the server's code, message and the request field it blames. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field: string | null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** A 401 that a key would cure: the viewer then asks for one (its sign-in form). */
export const needsSignIn = (error: unknown): boolean => error instanceof ApiError && error.status === 401 && (error.code === 'AUTH_REQUIRED' || error.code === 'INVALID_API_KEY');

/** Who the viewer is signed in as; `session` when by the sign-in cookie (so signing out means something). */
export interface SessionInfo {
  tenant: string;
  role: 'user' | 'admin';
  session: boolean;
}

async function request<T>(method: string, path: string, body?: BodyInit, headers: Record<string, string> = {}): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, { method, body, headers: { accept: 'application/json', ...headers } });
  } catch (error) {
    throw new ApiError(0, 'NETWORK', `The server did not answer (${(error as Error).message}). Is the API running?`, null);
  }
  const text = await response.text();
  let payload: unknown = null;
  try {
    payload = text ? JSON.parse(text) : null;
  } catch {
    payload = null;
  }
  if (!response.ok) {
    const error = (payload ?? {}) as { code?: string; message?: string; field?: string };
    throw new ApiError(response.status, error.code ?? `HTTP_${response.status}`, error.message ?? (text.slice(0, 200) || response.statusText), error.field ?? null);
  }
  return payload as T;
}

const json = (value: unknown) => JSON.stringify(value);

export const api = {
  models: () => request<{ items: ModelRecord[] }>('GET', '/api/v1/models').then((r) => r.items),
  datasets: () => request<{ items: DatasetInfo[] }>('GET', '/api/v1/datasets').then((r) => r.items),
  surfaces: () => request<{ items: SurfaceRecord[] }>('GET', '/api/v1/surfaces').then((r) => r.items),
  surface: (id: string) => request<SurfaceRecord>('GET', `/api/v1/surfaces/${encodeURIComponent(id)}`),
  result: (id: string) => request<SurfaceResult>('GET', `/api/v1/surfaces/${encodeURIComponent(id)}/result`),
  difference: (a: string, b: string) => request<SurfaceDifference>('GET', `/api/v1/surfaces/${encodeURIComponent(a)}/difference/${encodeURIComponent(b)}`),
  /** A surface, or with directions.ensemble ≥ 2 an ensemble (kind 'ensemble'). */
  createSurface: (body: SurfaceRequest) =>
    request<{ id: string; status: string; kind?: 'ensemble' }>('POST', '/api/v1/surfaces', json(body), { 'content-type': 'application/json' }),
  ensemble: (id: string) => request<EnsembleRecord>('GET', `/api/v1/ensembles/${encodeURIComponent(id)}`),
  ensembleStatistics: (id: string) => request<EnsembleStatistics>('GET', `/api/v1/ensembles/${encodeURIComponent(id)}/statistics`),
  cancelSurface: (id: string) => request<{ id: string; status: string }>('DELETE', `/api/v1/surfaces/${encodeURIComponent(id)}`),
  uploadModel: (form: FormData) => request<ModelRecord>('POST', '/api/v1/models', form),
  comparisons: () => request<{ items: StoredComparison[] }>('GET', '/api/v1/comparisons').then((r) => r.items),
  session: () => request<SessionInfo>('GET', '/api/v1/session'),
  /** Sets the HttpOnly session cookie that every later request, EventSource included, carries. */
  signIn: (key: string) => request<Omit<SessionInfo, 'session'>>('POST', '/api/v1/session', json({ key }), { 'content-type': 'application/json' }),
  signOut: () => request<null>('DELETE', '/api/v1/session'),
};

export interface SurfaceEventHandlers {
  progress(progress: Progress): void;
  chunk(chunk: ChunkValues): void;
  /** Values on a subset of the samples (request.progressive.previewSamples): for the eye only, replaced by the chunk of the same points. */
  preview(values: PreviewValues): void;
  done(): void;
  failed(error: { code: string; message: string }): void;
  cancelled(): void;
  /** The stream broke and the browser gave up reconnecting. */
  lost(): void;
}

/**
 * Follows a surface's server-sent events. EventSource reconnects by itself with Last-Event-ID,
 * so a dropped connection resumes where it stopped; the stream closes on the final event.
 * Returns a function that stops following.
 */
export function followSurface(id: string, handlers: SurfaceEventHandlers): () => void {
  const source = new EventSource(`/api/v1/surfaces/${encodeURIComponent(id)}/events`);
  const on = <T>(name: SurfaceEventName, handle: (data: T) => void, final = false) =>
    source.addEventListener(name, (event) => {
      if (final) source.close();
      handle(JSON.parse((event as MessageEvent<string>).data) as T);
    });
  on<Progress>('progress', (data) => handlers.progress(data));
  on<ChunkValues>('chunk', (data) => handlers.chunk(data));
  on<PreviewValues>('preview', (data) => handlers.preview(data));
  on('done', () => handlers.done(), true);
  on<{ code: string; message: string }>('failed', (data) => handlers.failed(data), true);
  on('cancelled', () => handlers.cancelled(), true);
  source.addEventListener('error', () => {
    if (source.readyState === EventSource.CLOSED) handlers.lost();
  });
  return () => source.close();
}
