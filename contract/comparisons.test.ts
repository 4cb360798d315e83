import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readComparisonFixture } from './comparisons.ts';

const text = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');
/** Exported by scripts/export-demo-comparison.ts with a direction-ensemble companion (test/fixtures/write-report-fixture.ts). */
const WITH_COMPANION = 'test/fixtures/comparisons/test-report-ensemble/comparison.json';

describe('comparison fixtures (ComparisonFixture)', () => {
  it('read back as exported, with or without an ensemble companion', () => {
    const fixture = readComparisonFixture(text(WITH_COMPANION), 'with companion');
    expect(fixture).toEqual(JSON.parse(text(WITH_COMPANION)));
    expect(fixture.ensemble!.members.map((m) => [m.label, m.k, m.loss.iqr.length])).toEqual([['skip', 2, 5], ['plain', 2, 5]]);
    expect(fixture.surfaces.every((s) => s.spectra?.length === 1)).toBe(true);
    // A committed demo without a companion (its DEMOS entry names none) and exported before spectra: still a fixture.
    const plain = readComparisonFixture(text('fixtures/comparisons/demo-dense-vs-plain/comparison.json'), 'without companion');
    expect(plain.ensemble).toBeUndefined();
    expect(plain.surfaces.some((s) => s.spectra !== undefined)).toBe(false);
  });

  it('refuse a companion that lacks a member’s IQR grid or has an unknown field, naming the file and the path', () => {
    const broken = JSON.parse(text(WITH_COMPANION));
    delete broken.ensemble.members[1].loss.iqr;
    expect(() => readComparisonFixture(JSON.stringify(broken), 'demo.json')).toThrow(/^demo\.json: is not a comparison fixture: \/ensemble\/members\/1\/loss /);
    const extra = JSON.parse(text(WITH_COMPANION));
    extra.ensemble.statistics = {};
    expect(() => readComparisonFixture(JSON.stringify(extra), 'demo.json')).toThrow(/^demo\.json: is not a comparison fixture: \/ensemble/);
  });
});
