/**
 * Computes the demo comparison (ZOO_DEMO_COMPARISON: ResNet-20/56 with and without shortcuts on
 * MNIST, one grid, one direction seed) on a running stack and writes it, with its members'
 * surfaces, Hessian maps and Hessian spectra (where one was computed: the surface's latest), to
 * fixtures/comparisons/<id>/comparison.json, which the API lists at boot.
 *
 *   npm start   # then, in another shell:
 *   npx tsx scripts/export-demo-comparison.ts http://127.0.0.1:8080
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { SurfaceRecord, SurfaceResult } from '../contract/index.ts';
import type { ComparisonFixture, ComparisonRecord } from '../contract/comparisons.ts';
import type { HessianMapResult } from '../contract/metrics/hessian.ts';
import type { SpectrumResult } from '../contract/metrics/spectrum.ts';
import { ZOO_DEMO_COMPARISON } from './train-zoo-demo.ts';

const DEMO_ID = 'demo-skip-vs-depth';
const baseUrl = process.argv[2] ?? 'http://127.0.0.1:8080';

async function json<T>(path: string, init?: RequestInit): Promise<T> {
  const response = await fetch(`${baseUrl}${path}`, init);
  if (!response.ok) throw new Error(`${init?.method ?? 'GET'} ${path}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** The surface's latest spectrum when it is finished (200); none while it runs (202) or when none was requested (404). */
async function finishedSpectra(surfaceId: string): Promise<SpectrumResult[]> {
  const response = await fetch(`${baseUrl}/api/v1/surfaces/${surfaceId}/spectrum`);
  if (response.status === 200) return [(await response.json()) as SpectrumResult];
  if (response.status === 202 || response.status === 404) return [];
  throw new Error(`GET /api/v1/surfaces/${surfaceId}/spectrum: HTTP ${response.status} ${await response.text()}`);
}

const submitted = await json<{ id: string }>('/api/v1/comparisons', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ZOO_DEMO_COMPARISON) });
let record: ComparisonRecord;
for (;;) {
  record = await json<ComparisonRecord>(`/api/v1/comparisons/${submitted.id}`);
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
