import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChunkJobData, ChunkValues, PreviewValues, SurfaceRecord, SurfaceRequest, SurfaceResult } from '../contract/index.ts';
import { readEvents, type SseEvent } from './helpers/sse.ts';
import { startStack, type Stack } from './helpers/stack.ts';
import { mlpFiles, uploadModel } from './helpers/models.ts';

/**
 * Progressive refinement on the real stack (API, Redis, two worker processes): a surface computed
 * coarse to fine, with a first pass on a subset of the samples, against the same surface row by row.
 */
let stack: Stack;
let modelId: string;

const NX = 9;
const NY = 5;
// Bisection by hand: x = 0…8 → {0, 4, 8}, then {2, 6}, then the odd ones; y = 0…4 → {0, 2, 4}, then {1, 3}.
const X_LEVELS = [0, 2, 1, 2, 0, 2, 1, 2, 0];
const Y_LEVELS = [0, 1, 0, 1, 0];
const SAMPLES = 300;
const PREVIEW_SAMPLES = 64;

const request = (overrides: Partial<SurfaceRequest> = {}): SurfaceRequest => ({
  model: modelId,
  dataset: { id: 'spirals', split: 'train', samples: SAMPLES, sampleSeed: 5 },
  directions: { seed: 11 },
  grid: { x: { min: -1.5, max: 1.5, num: NX }, y: { min: -1, max: 1, num: NY } },
  ...overrides,
});

async function submit(body: SurfaceRequest): Promise<{ id: string; events: string }> {
  const { status, body: accepted } = await stack.api<{ id: string; links: { events: string } }>('/api/v1/surfaces', { method: 'POST', json: body });
  expect(status).toBe(202);
  return { id: accepted.id, events: `${stack.baseUrl}${accepted.links.events}` };
}

async function finished(id: string): Promise<{ record: SurfaceRecord; result: SurfaceResult }> {
  const record = (await stack.app.services.surfaces.whenFinal(id)) as SurfaceRecord;
  expect(record.status).toBe('completed');
  return { record, result: (await stack.api<SurfaceResult>(`/api/v1/surfaces/${id}/result`)).body };
}

const data = <T>(events: SseEvent[], name: string) => events.filter((e) => e.event === name).map((e) => JSON.parse(e.data) as T);

beforeAll(async () => {
  stack = await startStack({ workers: 2 });
  const upload = await uploadModel(stack.baseUrl, 'spirals mlp', await mlpFiles([32, 32], 3));
  expect(upload.status).toBe(201);
  modelId = upload.body.id as string;
});

afterAll(async () => {
  await stack?.stop();
});

describe('progressive refinement', () => {
  let events: SseEvent[];
  let progressive: { record: SurfaceRecord; result: SurfaceResult };
  let rowByRow: { record: SurfaceRecord; result: SurfaceResult };
  let fewSamples: SurfaceResult;
  let surfaceId: string;

  beforeAll(async () => {
    const refined = await submit(request({ progressive: { previewSamples: PREVIEW_SAMPLES } }));
    surfaceId = refined.id;
    events = await readEvents(refined.events);
    const plain = await submit(request({ progressive: { enabled: false } }));
    // The surface a preview's samples are: the first 64 of the same seeded choice.
    const subset = await submit(request({ dataset: { id: 'spirals', split: 'train', samples: PREVIEW_SAMPLES, sampleSeed: 5 }, progressive: { enabled: false } }));
    progressive = await finished(refined.id);
    rowByRow = await finished(plain.id);
    fewSamples = (await finished(subset.id)).result;
  });

  it('gives exactly the values of the same surface computed row by row, and records the order in provenance', () => {
    const { result, record } = progressive;
    expect(result.loss).toEqual(rowByRow.result.loss);
    expect(result.accuracy).toEqual(rowByRow.result.accuracy);
    expect(result.lossStdError).toEqual(rowByRow.result.lossStdError);
    expect(result.nonFinite).toEqual(rowByRow.result.nonFinite);
    // Levels: 3×3, then 5×5 − 9, then the other 20 of 45.
    expect(result.provenance.progressive).toEqual({ levels: 3, levelPoints: [9, 16, 20], previewSamples: PREVIEW_SAMPLES });
    expect(rowByRow.result.provenance.progressive).toBeNull();
    // The preview's samples never stand for the surface's.
    const { progressive: _p, ...provenance } = result.provenance;
    const { progressive: _r, ...plainProvenance } = rowByRow.result.provenance;
    expect(provenance).toEqual(plainProvenance);
    expect(record.progress).toEqual({ done: NX * NY, total: NX * NY });
  });

  it('streams each point once, in a chunk event naming its level, with the value the result has there', () => {
    const chunks = data<ChunkValues>(events, 'chunk');
    const seen = new Map<string, number>();
    for (const chunk of chunks) {
      chunk.ix.forEach((ix, k) => {
        seen.set(`${ix},${chunk.iy}`, (seen.get(`${ix},${chunk.iy}`) ?? 0) + 1);
        expect(chunk.level).toBe(Math.max(X_LEVELS[ix]!, Y_LEVELS[chunk.iy]!));
        expect(chunk.loss[k]).toBe(progressive.result.loss[chunk.iy]![ix]);
        expect(chunk.accuracy![k]).toBe(progressive.result.accuracy![chunk.iy]![ix]);
        expect(chunk.lossStdError![k]).toBe(progressive.result.lossStdError![chunk.iy]![ix]);
      });
    }
    expect(seen.size).toBe(NX * NY);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    const progress = data<{ done: number; total: number }>(events, 'progress');
    expect(progress.at(-1)).toEqual({ done: NX * NY, total: NX * NY });
    expect(events.at(-1)!.event).toBe('done');
  });

  it('evaluates every grid point in exactly one completed chunk job, the preview pass apart', async () => {
    const jobs = (await stack.app.services.surfaces.chunkQueue.getJobs(['completed'])).filter((job) => (job.data as ChunkJobData).surfaceId === surfaceId);
    const own = jobs.filter((job) => (job.data as ChunkJobData).previewSamples === null);
    const preview = jobs.filter((job) => (job.data as ChunkJobData).previewSamples !== null);
    expect(own.reduce((n, job) => n + (job.returnvalue as { points: number }).points, 0)).toBe(NX * NY);
    expect(new Set(own.flatMap((job) => (job.data as ChunkJobData).ix.map((ix) => `${ix},${(job.data as ChunkJobData).iy}`))).size).toBe(NX * NY);
    expect(preview.reduce((n, job) => n + (job.returnvalue as { points: number; preview: boolean }).points, 0)).toBe(25);
    // One event per completed job: no chunk ran twice.
    expect(jobs.length).toBe(data(events, 'chunk').length + data(events, 'preview').length);
  });

  it('first sends levels 0 and 1 on the subset of the samples, flagged, with the values of a surface on those samples', () => {
    const previews = data<PreviewValues>(events, 'preview');
    expect(events.find((e) => e.event === 'preview' || e.event === 'chunk')!.event).toBe('preview');
    const points = previews.flatMap((p) => p.ix.map((ix, k) => ({ ix, iy: p.iy, loss: p.loss[k], accuracy: p.accuracy![k], level: p.level, samples: p.samples })));
    expect(points).toHaveLength(25);
    for (const point of points) {
      expect(point.samples).toBe(PREVIEW_SAMPLES);
      expect(X_LEVELS[point.ix]! <= 1 && Y_LEVELS[point.iy]! <= 1).toBe(true);
      expect(point.level).toBe(Math.max(X_LEVELS[point.ix]!, Y_LEVELS[point.iy]!));
      expect(point.loss).toBe(fewSamples.loss[point.iy]![point.ix]);
      expect(point.accuracy).toBe(fewSamples.accuracy![point.iy]![point.ix]);
    }
    // A preview is not the surface's value.
    expect(points.some((p) => p.loss !== progressive.result.loss[p.iy]![p.ix])).toBe(true);
  });

  it('refines a 1D line on two splits side by side to the same values as row by row', async () => {
    const line = { grid: { x: { min: -2, max: 2, num: 13 } }, splits: ['train', 'test'] as ('train' | 'test')[], dataset: { id: 'spirals', samples: 200 } };
    const refined = await submit(request(line));
    const plain = await submit(request({ ...line, progressive: { enabled: false } }));
    const [a, b] = [await finished(refined.id), await finished(plain.id)];
    expect(a.result.splits).toEqual(b.result.splits);
    expect(a.result.loss).toEqual(b.result.loss);
    // 13 points: {0, 6, 12}, {3, 9}, {2, 5, 8, 11}, then the rest; each split a row.
    expect(a.result.provenance.progressive).toEqual({ levels: 4, levelPoints: [6, 4, 8, 8], previewSamples: null });
  });

  it('refuses a preview on as many samples as the surface, or without refinement, naming the field', async () => {
    for (const progressiveOptions of [{ previewSamples: SAMPLES }, { enabled: false, previewSamples: 10 }]) {
      const { status, body } = await stack.api<{ field: string }>('/api/v1/surfaces', { method: 'POST', json: request({ progressive: progressiveOptions }) });
      expect(status).toBe(400);
      expect(body.field).toBe('progressive.previewSamples');
    }
  });

  it('documents the option, the levels and the preview events in the OpenAPI spec', async () => {
    const spec = JSON.stringify((await stack.api('/docs/json')).body);
    expect(spec).toContain('level 0 is its ends and middle');
    expect(spec).toContain('SSE event preview: values on a subset of the samples, never part of the result');
    expect(spec).toContain('text/event-stream');
    expect(spec).toContain('"previewSamples"');
  });
});
