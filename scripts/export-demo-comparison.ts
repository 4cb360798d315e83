/**
 * Computes a demo comparison of scripts/train-zoo-demo.ts (DEMOS: its members on one grid with one
 * direction seed) on a running stack and writes it, with its members' surfaces, Hessian maps and
 * Hessian spectra (those computed by then), to
 * fixtures/comparisons/<demo-id>/comparison.json, which the API lists at boot. The comparison runs
 * in the stack, which keeps it through restarts; the script waits out a stack restart, and if the
 * script itself was stopped, rerunning it with the comparison's id attaches to the running one.
 *
 *   npm start   # then, in another shell:
 *   npx tsx scripts/export-demo-comparison.ts demo-resnets-fashion [http://127.0.0.1:8080 [comparison-id]]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { SurfaceRecord, SurfaceResult } from '../contract/index.ts';
import type { ComparisonFixture, ComparisonRecord } from '../contract/comparisons.ts';
import type { HessianMapResult } from '../contract/metrics/hessian.ts';
import type { SpectrumListItem, SpectrumResult } from '../contract/metrics/spectrum.ts';
import { DEMOS } from './train-zoo-demo.ts';

const demo = DEMOS.find((d) => d.id === process.argv[2]);
if (!demo) throw new Error(`name a demo: ${DEMOS.map((d) => d.id).join(', ')}`);
const DEMO_ID = demo.id;
const baseUrl = process.argv[3] ?? 'http://127.0.0.1:8080';

async function json<T>(path: string, init?: RequestInit): Promise<T> {
  const response = await fetch(`${baseUrl}${path}`, init);
  if (!response.ok) throw new Error(`${init?.method ?? 'GET'} ${path}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** The surface's finished spectra (none when none was requested or one is still running). */
async function finishedSpectra(surfaceId: string): Promise<SpectrumResult[]> {
  const { items } = await json<{ items: SpectrumListItem[] }>(`/api/v1/surfaces/${surfaceId}/spectra`);
  return items.flatMap((item) => (item.result ? [item.result] : []));
}

// A comparison id as the fourth argument attaches to a comparison already running (e.g. after this script was stopped).
const comparisonId =
  process.argv[4] ??
  (await json<{ id: string }>('/api/v1/comparisons', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(demo.comparison) })).id;
console.log(`comparison ${comparisonId}`);
let record: ComparisonRecord;
for (;;) {
  // The stack may restart under a long export (its state is durable): wait for it instead of giving up.
  const polled = await json<ComparisonRecord>(`/api/v1/comparisons/${comparisonId}`).catch((error: Error) => (console.log(`${error.message}; retrying`), null));
  if (!polled) {
    await new Promise((r) => setTimeout(r, 5000));
    continue;
  }
  record = polled;
  console.log(`${new Date().toISOString()} ${record.status}: ${record.members.map((m) => `${m.label} ${m.status}${m.hessian ? ` (Hessian ${m.hessian.progress.done}/${m.hessian.progress.total})` : ''}`).join(', ')}`);
  if (record.status !== 'running') break;
  await new Promise((r) => setTimeout(r, 5000));
}
if (record.status !== 'completed') throw new Error(`comparison ended ${record.status}`);

const surfaces: ComparisonFixture['surfaces'] = [];
for (const member of record.members) {
  const id = member.surfaceId!;
  surfaces.push({
    record: await json<SurfaceRecord>(`/api/v1/surfaces/${id}`),
    result: await json<SurfaceResult>(`/api/v1/surfaces/${id}/result`),
    hessian: member.hessian?.status === 'completed' ? await json<HessianMapResult>(`/api/v1/surfaces/${id}/hessian`) : null,
    spectra: await finishedSpectra(id),
  });
}
const fixture: ComparisonFixture = {
  comparison: { ...record, id: DEMO_ID, links: { self: `/api/v1/comparisons/${DEMO_ID}` }, members: record.members.map(({ surface: _inline, ...member }) => member) },
  surfaces,
};
const dir = fileURLToPath(new URL(`../fixtures/comparisons/${DEMO_ID}/`, import.meta.url));
await mkdir(dir, { recursive: true });
await writeFile(`${dir}comparison.json`, JSON.stringify(fixture));
console.log(`wrote ${dir}comparison.json; finding: ${record.finding}`);
