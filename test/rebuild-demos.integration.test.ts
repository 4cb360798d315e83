import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readComparisonFixture, type ComparisonRecord } from '../contract/comparisons.ts';
import { planLanes, rebuildDemos, type RebuildTimes } from '../scripts/rebuild-demos.ts';
import { startStack, type Stack } from './helpers/stack.ts';
import { tinyDemo } from './helpers/tiny-demo.ts';

describe('planLanes', () => {
  it('puts the longest models first onto the least loaded lane', () => {
    const lanes = planLanes([
      { id: 'r20', minutes: 14 }, { id: 'r56', minutes: 55 }, { id: 'r56n', minutes: 55 }, { id: 'r20n', minutes: 14 },
      { id: 'dense', minutes: 10 }, { id: 'unet', minutes: 6 },
    ], 2);
    expect(lanes).toEqual([{ models: ['r56', 'r20', 'dense'], minutes: 79 }, { models: ['r56n', 'r20n', 'unet'], minutes: 75 }]);
  });

  it('counts a model without an estimate as the longest, and opens no more lanes than models', () => {
    expect(planLanes([{ id: 'short', minutes: 3 }, { id: 'long', minutes: 5 }, { id: 'new' }], 2)).toEqual([{ models: ['long', 'short'], minutes: 8 }, { models: ['new'], minutes: 5 }]);
    expect(planLanes([{ id: 'only', minutes: 1 }], 4)).toEqual([{ models: ['only'], minutes: 1 }]);
    expect(planLanes([{ id: 'a' }, { id: 'b' }, { id: 'c' }], 2).map((l) => l.models)).toEqual([['a', 'c'], ['b']]);
    expect(planLanes([], 2)).toEqual([]);
  });
});

/**
 * scripts/rebuild-demos.ts on a real stack with two demos small enough for seconds (tinyDemo: the
 * committed demo CNNs, nothing to train): one demo's export was interrupted after it submitted its
 * comparison, whose id the state file kept; the rebuild attaches to it instead of submitting again,
 * exports the other demo beside it and removes the state file.
 */
describe('rebuilding demos', () => {
  const interrupted = tinyDemo('test-rebuild-interrupted');
  const untouched = tinyDemo('test-rebuild-new');
  let stack: Stack;
  let dir: string;
  let attachedId: string;
  let times: RebuildTimes;
  const lines: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'loss-atlas-rebuild-'));
    stack = await startStack({ workers: 2, comparisonFixtures: join(dir, 'none') });
    const { body } = await stack.api<{ id: string }>('/api/v1/comparisons', { method: 'POST', json: interrupted.comparison });
    attachedId = body.id;
    mkdirSync(join(dir, 'data/exports'), { recursive: true });
    writeFileSync(join(dir, 'data/exports', `${interrupted.id}.json`), JSON.stringify({ comparisonId: attachedId }));
    times = await rebuildDemos({
      demos: [interrupted, untouched], lanes: 2, baseUrl: stack.baseUrl, port: 0,
      modelsDir: `${dir}/models/`, outDir: `${dir}/out/`, dataDir: `${dir}/data`, log: (line) => lines.push(line),
    });
  }, 600_000);

  afterAll(async () => {
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('attaches the interrupted export to the comparison it had submitted, and submits the other once', async () => {
    const { body } = await stack.api<{ items: ComparisonRecord[] }>('/api/v1/comparisons');
    const names = body.items.map((c) => c.name);
    expect(names.filter((n) => n === interrupted.comparison.name)).toHaveLength(1);
    expect(names.filter((n) => n === untouched.comparison.name)).toHaveLength(1);
    expect(lines).toContain(`[${interrupted.id}] comparison ${attachedId}`);
  });

  it('writes both fixtures, drops the export state and reports the time of each part', () => {
    for (const demo of [interrupted, untouched]) {
      const path = join(dir, 'out', demo.id, 'comparison.json');
      const fixture = readComparisonFixture(readFileSync(path, 'utf8'), path);
      expect(fixture.comparison.id).toBe(demo.id);
      expect(fixture.surfaces).toHaveLength(2);
      expect(existsSync(join(dir, 'data/exports', `${demo.id}.json`))).toBe(false);
    }
    expect(Object.keys(times.exportSeconds).sort()).toEqual([interrupted.id, untouched.id].sort());
    expect(times.totalSeconds).toBeGreaterThanOrEqual(Math.max(...Object.values(times.exportSeconds)));
    expect(lines.at(-1)).toMatch(/^training \d+\.\d min \(0 lane\(s\)\); .* total \d+\.\d min$/);
  });
});
