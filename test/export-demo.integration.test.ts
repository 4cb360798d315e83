import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readComparisonFixture, type ComparisonFixture, type ComparisonRecord, type EnsembleCompanion } from '../contract/comparisons.ts';
import type { EnsembleStatistics } from '../contract/metrics/ensemble.ts';
import type { SpectrumListItem } from '../contract/metrics/spectrum.ts';
import { companionRequest, exportDemoComparison } from '../scripts/export-demo-comparison.ts';
import { startStack, type Stack } from './helpers/stack.ts';
import { tinyDemo } from './helpers/tiny-demo.ts';

/**
 * scripts/export-demo-comparison.ts end to end on a real stack with a demo small enough for
 * seconds (tinyDemo); then the written fixture imported by a second API at boot.
 */
const demo = tinyDemo('test-export-demo');

let stack: Stack;
let outDir: string;
let fixture: ComparisonFixture;
let companion: EnsembleCompanion;
const lines: string[] = [];

beforeAll(async () => {
  outDir = `${mkdtempSync(join(tmpdir(), 'loss-atlas-export-'))}/`;
  stack = await startStack({ workers: 2, comparisonFixtures: join(outDir, 'none') });
  fixture = await exportDemoComparison(demo, { baseUrl: stack.baseUrl, outDir, pollMs: 300, log: (line) => lines.push(line) });
  companion = fixture.ensemble!;
}, 600_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(outDir, { recursive: true, force: true });
});

describe('exporting a demo with an ensemble companion and spectra', () => {
  it('runs the companion as the same members, samples and seed over k direction pairs on its coarser grid, Hessian maps off', async () => {
    expect(companion.request).toEqual(companionRequest(demo));
    expect(companion.request.shared).toMatchObject({
      dataset: demo.comparison.shared.dataset,
      grid: { x: { min: -0.5, max: 0.5, num: 5 }, y: { min: -0.5, max: 0.5, num: 5 } },
      directions: { ...demo.comparison.shared.directions, ensemble: 2 },
      hessian: false,
    });
    const { body: record } = await stack.api<ComparisonRecord>(`/api/v1/comparisons/${companion.comparisonId}`);
    expect(record.status).toBe('completed');
    expect(companion.finding).toBe(record.finding);
    expect(companion.finding).toMatch(/median mean loss rise/);
    expect(companion.finding).toMatch(/spread/);
    const axis = [-0.5, -0.25, 0, 0.25, 0.5];
    expect(companion.axes).toEqual({ x: axis, y: axis });
    expect(companion.members.map((m) => [m.label, m.k])).toEqual([['skip', 2], ['plain', 2]]);
  });

  it('stores each member’s metric spreads and the point-wise median and IQR of the loss, to float32 precision', async () => {
    const { body: record } = await stack.api<ComparisonRecord>(`/api/v1/comparisons/${companion.comparisonId}`);
    for (const [m, member] of companion.members.entries()) {
      expect(member.ensembleId).toBe(record.members[m]!.ensemble!.id);
      const { body: statistics } = await stack.api<EnsembleStatistics>(`/api/v1/ensembles/${member.ensembleId}/statistics`);
      expect(member.metrics).toEqual(statistics.metrics);
      expect(member.metrics['sharpness.meanRise']!.values).toHaveLength(2);
      for (let iy = 0; iy < 5; iy++) {
        for (let ix = 0; ix < 5; ix++) {
          const { median, q1, q3 } = statistics.loss;
          expect(Math.abs(member.loss.median[iy]![ix]! - median[iy]![ix]!)).toBeLessThanOrEqual(1e-6 * median[iy]![ix]!);
          const iqr = q3[iy]![ix]! - q1[iy]![ix]!;
          expect(Math.abs(member.loss.iqr[iy]![ix]! - iqr)).toBeLessThanOrEqual(1e-6 * iqr);
          expect(String(member.loss.iqr[iy]![ix]!).replace(/^0\.0*|\.|e.*$/g, '').length).toBeLessThanOrEqual(7);
        }
      }
      // Two direction pairs share θ*: the loss there has no spread; away from it they differ.
      expect(member.loss.iqr[2]![2]).toBe(0);
      expect(member.loss.iqr[0]![0]).toBeGreaterThan(0);
    }
  });

  it('requests one spectrum at θ* per member with the demo’s settings and stores it with the surface', async () => {
    for (const surface of fixture.surfaces) {
      expect(surface.spectra).toHaveLength(1);
      const [spectrum] = surface.spectra!;
      expect(spectrum!.point).toMatchObject({ ix: null, iy: null, x: 0, y: 0 });
      expect(spectrum!.settings).toMatchObject({ samples: 16, topK: 2, traceSamples: 2, densitySteps: 6, bins: 50 });
      expect(spectrum!.density.grid).toHaveLength(50);
    }
    // A rerun asks for nothing new: the stored spectrum is taken as it is.
    const again = await exportDemoComparison(demo, { baseUrl: stack.baseUrl, outDir, pollMs: 300, comparisonId: mainComparisonId(), companionId: companion.comparisonId, log: () => {} });
    expect(again.surfaces.map((s) => s.spectra)).toEqual(fixture.surfaces.map((s) => s.spectra));
    for (const surface of fixture.surfaces) {
      const { body } = await stack.api<{ items: SpectrumListItem[] }>(`/api/v1/surfaces/${surface.record.id}/spectra`);
      expect(body.items).toHaveLength(1);
    }
  });

  it('writes a fixture that reads back as it was written and that a fresh API serves at boot, companion included', async () => {
    const text = readFileSync(join(outDir, demo.id, 'comparison.json'), 'utf8');
    expect(readComparisonFixture(text, 'exported')).toEqual(fixture);
    expect(text.length).toBeLessThan(1.5e6);
    cpSync(resolve(import.meta.dirname, '../fixtures/comparisons/demo-dense-vs-plain'), join(outDir, 'demo-dense-vs-plain'), { recursive: true });
    const second = await startStack({ workers: 0, comparisonFixtures: outDir });
    try {
      const { body: record } = await second.api<ComparisonRecord>(`/api/v1/comparisons/${demo.id}`);
      expect(record.links.ensemble).toBe(`/api/v1/comparisons/${demo.id}/ensemble`);
      const served = await second.api<EnsembleCompanion>(record.links.ensemble!);
      expect(served.status).toBe(200);
      expect(served.body).toEqual(companion);
      const { body: spectra } = await second.api<{ items: SpectrumListItem[] }>(`/api/v1/surfaces/${fixture.surfaces[0]!.record.id}/spectra`);
      expect(spectra.items.map((i) => i.result)).toEqual(fixture.surfaces[0]!.spectra);
      // A demo without a companion (demo-dense-vs-plain names none) has no link and its companion is a coded 404.
      const { body: plain } = await second.api<ComparisonRecord>('/api/v1/comparisons/demo-dense-vs-plain');
      expect(plain.links.ensemble).toBeUndefined();
      const none = await second.api<{ code: string }>('/api/v1/comparisons/demo-dense-vs-plain/ensemble');
      expect([none.status, none.body.code]).toEqual([404, 'NO_ENSEMBLE_COMPANION']);
    } finally {
      await second.stop();
    }
  });

  it('--keep-main adds the companion and the spectra to a committed comparison without recomputing it, the spectra equal to those of its own surfaces', async () => {
    // The committed fixture as exported before companions and spectra existed.
    const committedDir = `${mkdtempSync(join(tmpdir(), 'loss-atlas-keep-main-'))}/`;
    const { ensemble: _companion, ...main } = fixture;
    const bare: ComparisonFixture = { ...main, surfaces: fixture.surfaces.map(({ spectra: _spectra, ...surface }) => surface) };
    mkdirSync(join(committedDir, demo.id));
    writeFileSync(join(committedDir, demo.id, 'comparison.json'), JSON.stringify(bare));
    const third = await startStack({ workers: 2, comparisonFixtures: committedDir });
    try {
      const kept = await exportDemoComparison(demo, { baseUrl: third.baseUrl, outDir: committedDir, keepMain: true, pollMs: 300, log: () => {} });
      expect(kept.comparison).toEqual(bare.comparison);
      expect(kept.surfaces.map(({ record, result, hessian }) => ({ record, result, hessian }))).toEqual(bare.surfaces);
      expect(kept.ensemble!.members.map((m) => m.label)).toEqual(['skip', 'plain']);
      const { body: companionRecord } = await third.api<ComparisonRecord>(`/api/v1/comparisons/${kept.ensemble!.comparisonId}`);
      kept.surfaces.forEach((surface, m) => {
        const [spectrum] = surface.spectra!;
        expect(spectrum!.surfaceId).toBe(surface.record.id);
        expect(spectrum!.computedOn).toBe(companionRecord.members[m]!.surfaceId);
        // At θ* only the model and the samples matter: the same numbers as on the member's own surface.
        const { surfaceId: _own, computedOn: _on, ...numbers } = spectrum!;
        const { surfaceId: _original, ...expected } = fixture.surfaces[m]!.spectra![0]!;
        expect({ ...numbers, seconds: 0 }).toEqual({ ...expected, seconds: 0 });
      });
    } finally {
      await third.stop();
      rmSync(committedDir, { recursive: true, force: true });
    }
  }, 600_000);
});

/** The main comparison's id on the stack, as the script printed it (the fixture carries the demo's id instead). */
function mainComparisonId(): string {
  return lines.find((l) => /^comparison \S+$/.test(l))!.split(' ')[1]!;
}
