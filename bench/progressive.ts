import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { npy } from '../contract/exports/npy.ts';
import { axisLevels, type ChunkValues, type PreviewValues, type SurfaceRecord, type SurfaceRequest } from '../contract/index.ts';
import { uploadModel } from '../test/helpers/models.ts';
import { readEvents } from '../test/helpers/sse.ts';
import { startStack, type Stack } from '../test/helpers/stack.ts';
import { loadWorkload, prepareWorkload } from './workloads.ts';

/**
 * Progressive refinement on the real stack (API, Redis, worker processes; `npm run bench --
 * --progressive 51`): a side × side surface of W1 (ResNet-20 at the CIFAR shape, its 1,000
 * samples uploaded as a dataset, batch 128) submitted row by row ('plain'), coarse to fine
 * ('progressive', the default) and coarse to fine with a first pass on a subset of the samples
 * ('preview'), each on a fresh stack, so every run pays the workers' first model load as a new
 * submission does. Times run from the POST to the SSE event that completes each level, and to
 * `done`; worker CPU seconds are summed over the workers' process groups (their sandboxes in them),
 * which move less with the machine's load than the wall clock.
 */

export type ProgressiveBenchMode = 'plain' | 'progressive' | 'preview';
export const PROGRESSIVE_BENCH_MODES: ProgressiveBenchMode[] = ['plain', 'progressive', 'preview'];

export interface ProgressiveBenchRow {
  mode: ProgressiveBenchMode;
  side: number;
  workers: number;
  previewSamples: number | null;
  /** Seconds from submission until the subset pass (preview events) is all in; null without one. */
  previewSeconds: number | null;
  /** Per level: the known grid once it is in (columns × rows) and the seconds from submission until it and every coarser level are in. */
  levels: { grid: string; points: number; seconds: number }[];
  /** Seconds from submission to the done event. */
  totalSeconds: number;
  /** User + system CPU of the worker processes and their sandboxes over the run. */
  workerCpuSeconds: number;
  /** Worker seconds per grid point as the surface's record states them (chunk wall time). */
  secondsPerPoint: number | null;
  loadBefore: number[];
  loadAfter: number[];
}

/** CPU seconds of every process in the process groups led by `pids` (the stack starts each worker as a group leader). */
export function groupCpuSeconds(pids: number[]): number {
  const out = execFileSync('ps', ['-eo', 'pgid=,times='], { encoding: 'utf8' });
  return out
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number))
    .filter(([pgid]) => pids.includes(pgid!))
    .reduce((sum, [, seconds]) => sum + seconds!, 0);
}

/**
 * A fresh real stack (API, Redis, `workers` worker processes) with W1 (ResNet-20 at the CIFAR
 * shape) uploaded and its 1,000 samples uploaded as a dataset (train and test split alike).
 */
export async function startW1Stack(workers: number, dir: string): Promise<{ stack: Stack; model: string; dataset: string; n: number }> {
  await prepareWorkload('W1', dir);
  const workload = await loadWorkload(dir);
  const stack = await startStack({ workers, fixtures: null });
  try {
    const model = await uploadModel(stack.baseUrl, 'W1', { 'model.json': await readFile(`${dir}/model.json`), 'weights.bin': await readFile(`${dir}/weights.bin`) });
    if (model.status !== 201) throw new Error(`W1 model upload: ${JSON.stringify(model.body)}`);
    const { x, y, n, inputShape } = workload.data;
    const form = new FormData();
    form.set('name', 'W1 samples');
    const arrays = { x: npy(x, [n, ...inputShape]), y: npy(y as Int32Array, [n]) };
    // The same 1,000 samples as the test split, which a surface of 1,000 test samples takes whole.
    for (const [name, bytes] of [...Object.entries(arrays), ...Object.entries(arrays).map(([k, v]) => [`${k}_test`, v] as const)]) form.append('file', new Blob([Buffer.from(bytes)]), `${name}.npy`);
    const dataset = (await (await fetch(`${stack.baseUrl}/api/v1/datasets`, { method: 'POST', body: form })).json()) as { id: string };
    return { stack, model: model.body.id as string, dataset: dataset.id, n };
  } catch (err) {
    await stack.stop();
    throw err;
  }
}

export async function benchProgressive(mode: ProgressiveBenchMode, side: number, workers: number, previewSamples: number, dir: string): Promise<ProgressiveBenchRow> {
  const { stack, model, dataset, n } = await startW1Stack(workers, dir);
  try {
    const axis = { min: -1, max: 1, num: side };
    const request: SurfaceRequest = {
      model,
      dataset: { id: dataset, split: 'test', samples: n },
      grid: { x: axis, y: axis },
      batchSize: 128,
      ...(mode === 'plain' ? { progressive: { enabled: false } } : mode === 'preview' ? { progressive: { previewSamples } } : {}),
    };
    const cpuBefore = groupCpuSeconds(stack.workers.map((w) => w.pid!));
    const loadBefore = loadavg();
    const submittedAt = performance.now();
    const accepted = await stack.api<{ id: string; links: { events: string } }>('/api/v1/surfaces', { method: 'POST', json: request });
    if (accepted.status !== 202) throw new Error(`surface: ${JSON.stringify(accepted.body)}`);
    const events = await readEvents(`${stack.baseUrl}${accepted.body.links.events}`, { timeoutMs: 24 * 3600_000 });
    if (events.at(-1)?.event !== 'done') throw new Error(`surface ended with ${events.at(-1)?.event}: ${events.at(-1)?.data}`);
    const workerCpuSeconds = groupCpuSeconds(stack.workers.map((w) => w.pid!)) - cpuBefore;
    const record = (await stack.api<SurfaceRecord>(`/api/v1/surfaces/${accepted.body.id}`)).body;
    const seconds = (at: number) => (at - submittedAt) / 1000;

    const previews = events.filter((e) => e.event === 'preview');
    const previewPoints = previews.reduce((sum, e) => sum + (JSON.parse(e.data) as PreviewValues).ix.length, 0);
    const axisLevel = axisLevels(side);
    const levelPoints = record.provenance.progressive?.levelPoints ?? [];
    const levels: ProgressiveBenchRow['levels'] = [];
    const inLevel = levelPoints.map(() => 0);
    for (const event of events.filter((e) => e.event === 'chunk')) {
      const chunk = JSON.parse(event.data) as ChunkValues;
      inLevel[chunk.level]! += chunk.ix.length;
      while (levels.length < levelPoints.length && inLevel[levels.length] === levelPoints[levels.length]) {
        const known = axisLevel.filter((l) => l <= levels.length).length;
        levels.push({ grid: `${known}×${known}`, points: levelPoints[levels.length]!, seconds: seconds(event.at) });
      }
    }
    return {
      mode,
      side,
      workers,
      previewSamples: mode === 'preview' ? previewSamples : null,
      previewSeconds: previews.length > 0 && previewPoints === levelPoints.slice(0, 2).reduce((a, b) => a + b, 0) ? seconds(previews.at(-1)!.at) : null,
      levels,
      totalSeconds: seconds(events.at(-1)!.at),
      workerCpuSeconds,
      secondsPerPoint: record.timings.secondsPerPoint,
      loadBefore,
      loadAfter: loadavg(),
    };
  } finally {
    await stack.stop();
  }
}

export function printProgressiveTable(rows: ProgressiveBenchRow[]): void {
  const plain = rows.find((r) => r.mode === 'plain');
  for (const r of rows) {
    const versus = plain && r !== plain ? ` (${((r.totalSeconds / plain.totalSeconds - 1) * 100).toFixed(1)} % wall, ${((r.workerCpuSeconds / plain.workerCpuSeconds - 1) * 100).toFixed(1)} % CPU vs plain)` : '';
    console.log(
      `W1 ${r.side}×${r.side} ${r.mode}${r.previewSamples ? ` (preview on ${r.previewSamples} samples)` : ''}, ${r.workers} workers: ` +
        (r.previewSeconds !== null ? `sample-subset preview of levels 0–1 in ${r.previewSeconds.toFixed(1)} s; ` : '') +
        (r.levels.length > 0 ? `levels ${r.levels.map((l) => `${l.grid} ${l.seconds.toFixed(1)} s`).join(', ')}; ` : '') +
        `done in ${r.totalSeconds.toFixed(1)} s, worker CPU ${r.workerCpuSeconds.toFixed(0)} s${versus}, ` +
        `${r.secondsPerPoint?.toFixed(3) ?? '–'} worker s/point (load ${r.loadBefore.map((l) => l.toFixed(2)).join(' ')} → ${r.loadAfter.map((l) => l.toFixed(2)).join(' ')})`,
    );
  }
}
