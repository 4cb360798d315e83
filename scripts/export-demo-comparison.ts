/**
 * Computes a demo comparison of scripts/train-zoo-demo.ts (DEMOS: its members on one grid with one
 * direction seed) on a running stack and writes it, with its members' surfaces, Hessian maps and
 * one Hessian spectrum at θ* per member (demo.spectrum, requested when the member has none), and,
 * when the demo names one, its direction-ensemble companion (the same members over k direction
 * pairs on demo.ensemble's grid, without Hessian maps: spreads, finding, point-wise median and IQR
 * of the loss), to fixtures/comparisons/<demo-id>/comparison.json, which the API lists at boot.
 * Both comparisons run in the stack, which keeps them through restarts; the script waits out a
 * stack restart, and if the script itself was stopped, rerunning it with the comparisons' ids
 * (printed as they start) attaches to the running ones.
 *
 *   npm start   # then, in another shell:
 *   npx tsx scripts/export-demo-comparison.ts demo-resnets-fashion [http://127.0.0.1:8080 [comparison-id | "" [companion-id]]]
 *
 * `--keep-main` keeps the committed comparison (fixtures/comparisons/<demo-id>/comparison.json as
 * it is) and adds what it lacks: the companion and the spectra. A fixture surface cannot compute a
 * spectrum (409 SURFACE_NOT_COMPUTED_HERE), but at θ* a spectrum depends only on the model and the
 * samples, which the companion's member surfaces share (same dataset, split, count and sample
 * seed); it is computed on them and filed under the fixture's surface, its own surfaceId recorded
 * in `computedOn`.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { SurfaceRecord, SurfaceResult } from '../contract/index.ts';
import { readComparisonFixture, type ComparisonFixture, type ComparisonRecord, type ComparisonRequest, type EnsembleCompanion } from '../contract/comparisons.ts';
import type { EnsembleStatistics } from '../contract/metrics/ensemble.ts';
import type { HessianMapResult } from '../contract/metrics/hessian.ts';
import type { SpectrumListItem, SpectrumResult } from '../contract/metrics/spectrum.ts';
import { DEMOS, type Demo } from './train-zoo-demo.ts';

export interface ExportOptions {
  baseUrl: string;
  /** Attach to these comparisons instead of submitting new ones (after the script was stopped). */
  comparisonId?: string;
  companionId?: string;
  /** Where <demo-id>/comparison.json is written (a directory ending in /). */
  outDir: string;
  /** Keep the committed <outDir>/<demo-id>/comparison.json and add the companion and spectra. */
  keepMain?: boolean;
  /** How often the comparisons and spectra are polled (default 5 s). */
  pollMs?: number;
  /** Told each comparison's id as soon as it is submitted, so that a caller can attach to it after an interruption. */
  onSubmitted?: (kind: 'comparison' | 'companion', id: string) => void | Promise<void>;
  log?: (line: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** 7 significant digits: float32 precision, so the companion's grids stay small in the fixture. */
const float32Digits = (grid: (number | null)[][]) => grid.map((row) => row.map((v) => (v === null ? null : Number(v.toPrecision(7)))));

/** The companion of a demo: its comparison with directions.ensemble = k on a square grid of `grid` points over the same extent, Hessian maps off. */
export function companionRequest(demo: Demo): ComparisonRequest {
  const { k, grid } = demo.ensemble!;
  const { shared } = demo.comparison;
  const axis = (a: typeof shared.grid.x) => ({ ...a, num: grid });
  return {
    ...demo.comparison,
    name: `${demo.comparison.name ?? demo.id}: direction ensemble (k = ${k})`,
    shared: { ...shared, grid: { x: axis(shared.grid.x), ...(shared.grid.y ? { y: axis(shared.grid.y) } : {}) }, directions: { ...shared.directions, ensemble: k }, hessian: false },
  };
}

export async function exportDemoComparison(demo: Demo, options: ExportOptions): Promise<ComparisonFixture> {
  const log = options.log ?? console.log;
  const pollMs = options.pollMs ?? 5000;

  async function json<T>(path: string, init?: RequestInit): Promise<T> {
    const response = await fetch(`${options.baseUrl}${path}`, init);
    if (!response.ok) throw new Error(`${init?.method ?? 'GET'} ${path}: HTTP ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  }
  const post = <T>(path: string, body: unknown) => json<T>(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  /** Submits (or attaches to) a comparison and polls it until it is no longer running. */
  async function finished(request: ComparisonRequest, attachId: string | undefined, kind: 'comparison' | 'companion'): Promise<ComparisonRecord> {
    const what = kind === 'comparison' ? 'comparison' : 'ensemble companion';
    const id = attachId ?? (await post<{ id: string }>('/api/v1/comparisons', request)).id;
    log(`${what} ${id}`);
    if (!attachId) await options.onSubmitted?.(kind, id);
    for (;;) {
      // The stack may restart under a long export (its state is durable): wait for it instead of giving up.
      const record = await json<ComparisonRecord>(`/api/v1/comparisons/${id}`).catch((error: Error) => (log(`${error.message}; retrying`), null));
      if (record) {
        log(`${new Date().toISOString()} ${what} ${record.status}: ${record.members.map((m) => `${m.label} ${m.status}${m.hessian ? ` (Hessian ${m.hessian.progress.done}/${m.hessian.progress.total})` : ''}`).join(', ')}`);
        if (record.status === 'completed') return record;
        if (record.status !== 'running') throw new Error(`${what} ${id} ended ${record.status}`);
      }
      await sleep(pollMs);
    }
  }

  /** The surface's finished spectra; when it has none, one at θ* with demo.spectrum, requested and waited for. */
  async function spectra(surfaceId: string, label: string): Promise<SpectrumResult[]> {
    const path = `/api/v1/surfaces/${surfaceId}`;
    const done = (items: SpectrumListItem[]) => items.flatMap((item) => (item.result ? [item.result] : []));
    const stored = done((await json<{ items: SpectrumListItem[] }>(`${path}/spectra`)).items);
    if (stored.length > 0) return stored;
    // Same settings, same job: rerunning the script attaches to a spectrum already running.
    const reply = await post<SpectrumResult | { id: string }>(`${path}/spectrum`, demo.spectrum);
    if ('density' in reply) return [reply];
    for (;;) {
      const item = (await json<{ items: SpectrumListItem[] }>(`${path}/spectra`)).items.find((i) => i.id === reply.id);
      if (!item) throw new Error(`spectrum ${reply.id} of ${label} is no longer listed`);
      if (item.status === 'failed') throw new Error(`spectrum of ${label} failed: ${item.error}`);
      if (item.result) return [item.result];
      log(`${new Date().toISOString()} spectrum of ${label}: ${item.status}${item.progress ? ` ${item.progress.done}/${item.progress.total} products` : ''}`);
      await sleep(pollMs);
    }
  }

  async function companion(record: ComparisonRecord): Promise<EnsembleCompanion> {
    const members = await Promise.all(record.members.map(async (member) => {
      const ensemble = member.ensemble!;
      const statistics = await json<EnsembleStatistics>(`/api/v1/ensembles/${ensemble.id}/statistics`);
      const { median, q1, q3 } = statistics.loss;
      const iqr = q3.map((row, iy) => row.map((v, ix) => (v === null || q1[iy]![ix] === null ? null : v - q1[iy]![ix]!)));
      return { statistics, member: { label: member.label, ensembleId: ensemble.id, k: ensemble.k, metrics: statistics.metrics, loss: { median: float32Digits(median), iqr: float32Digits(iqr) } } };
    }));
    return { comparisonId: record.id, request: record.request as ComparisonRequest, finding: record.finding, axes: members[0]!.statistics.axes, members: members.map((m) => m.member) };
  }

  const dir = `${options.outDir}${demo.id}/`;
  const committed = options.keepMain ? readComparisonFixture(await readFile(`${dir}comparison.json`, 'utf8'), `${dir}comparison.json`) : null;
  const record = committed ? null : await finished(demo.comparison, options.comparisonId, 'comparison');
  const companionRecord = demo.ensemble ? await finished(companionRequest(demo), options.companionId, 'companion') : null;
  const ensemble = companionRecord ? await companion(companionRecord) : undefined;
  // The members' spectra are requested together, so that several workers compute them at once.
  const surfaces: ComparisonFixture['surfaces'] = committed
    ? await Promise.all(committed.surfaces.map(async (surface, index) => {
      const computedOn = companionRecord?.members[index]?.surfaceId;
      if (!computedOn) throw new Error(`--keep-main needs the demo's ensemble companion to compute ${committed.comparison.members[index]!.label}'s spectrum on`);
      const computed = await spectra(computedOn, committed.comparison.members[index]!.label);
      return { ...surface, spectra: computed.map((spectrum) => ({ ...spectrum, surfaceId: surface.record.id, computedOn })) };
    }))
    : await Promise.all(record!.members.map(async (member) => {
      const id = member.surfaceId!;
      return {
        record: await json<SurfaceRecord>(`/api/v1/surfaces/${id}`),
        result: await json<SurfaceResult>(`/api/v1/surfaces/${id}/result`),
        hessian: member.hessian?.status === 'completed' ? await json<HessianMapResult>(`/api/v1/surfaces/${id}/hessian`) : null,
        spectra: await spectra(id, member.label),
      };
    }));
  const fixture: ComparisonFixture = {
    comparison: committed
      ? committed.comparison
      : { ...record!, id: demo.id, links: { self: `/api/v1/comparisons/${demo.id}` }, members: record!.members.map(({ surface: _inline, ...member }) => member) },
    surfaces,
    ...(ensemble ? { ensemble } : {}),
  };
  await mkdir(dir, { recursive: true });
  await writeFile(`${dir}comparison.json`, JSON.stringify(fixture));
  log(`wrote ${dir}comparison.json; finding: ${fixture.comparison.finding}${ensemble ? `\nensemble companion: ${ensemble.finding}` : ''}`);
  return fixture;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values, positionals } = parseArgs({ options: { 'keep-main': { type: 'boolean', default: false } }, allowPositionals: true });
  const demo = DEMOS.find((d) => d.id === positionals[0]);
  if (!demo) throw new Error(`name a demo: ${DEMOS.map((d) => d.id).join(', ')}`);
  await exportDemoComparison(demo, {
    baseUrl: positionals[1] ?? 'http://127.0.0.1:8080',
    keepMain: values['keep-main'],
    comparisonId: positionals[2] || undefined,
    companionId: positionals[3] || undefined,
    outDir: fileURLToPath(new URL('../fixtures/comparisons/', import.meta.url)),
  });
}
