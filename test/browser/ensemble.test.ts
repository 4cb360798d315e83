import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SurfaceResult } from '../../contract/index.ts';
import type { EnsembleRecord } from '../../contract/ensembles.ts';
import type { EnsembleStatistics } from '../../contract/metrics/ensemble.ts';
import { BROWSER_ARTIFACTS as artifacts, openBrowser } from '../helpers/browser.ts';
import { mlpFiles, uploadModel } from '../helpers/models.ts';
import { startStack, type Stack } from '../helpers/stack.ts';

/** A direction ensemble in the viewer (real API, worker and chromium): the median first, then a step to member 2. */
let stack: Stack;
let browser: Awaited<ReturnType<typeof openBrowser>>;
let page: Page;
const pageErrors: string[] = [];
let ensemble: EnsembleRecord;

beforeAll(async () => {
  stack = await startStack({ workers: 1, fixtures: null });
  const model = (await uploadModel(stack.baseUrl, 'mlp', await mlpFiles([8], 1))).body.id as string;
  const axis = { min: -1, max: 1, num: 7 };
  const { body } = await stack.api<{ id: string }>('/api/v1/surfaces', {
    method: 'POST',
    json: { model, dataset: { id: 'moons', samples: 100 }, grid: { x: axis, y: axis }, directions: { seed: 1, ensemble: 3 }, name: 'browser' },
  });
  for (;;) {
    ensemble = (await stack.api<EnsembleRecord>(`/api/v1/ensembles/${body.id}`)).body;
    if (ensemble.status === 'completed') break;
    expect(['queued', 'running'], JSON.stringify(ensemble.error)).toContain(ensemble.status);
    await new Promise((r) => setTimeout(r, 200));
  }
  browser = await openBrowser(pageErrors);
  page = browser.page;
  // Generous: on a loaded machine the three members may take minutes.
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

/** Hovers grid point (ix, iy) of the 2D map and returns the readout's loss there. */
async function lossUnderCursor(ix: number, iy: number): Promise<number> {
  const cell = await page.evaluate(({ ix, iy }) => window.lossAtlas.projectGridPoint(ix, iy, '2d'), { ix, iy });
  await page.mouse.move(cell!.x, cell!.y);
  const readout = page.locator('#readout');
  await expect.poll(() => readout.getAttribute('data-ix')).toBe(String(ix));
  expect(await readout.getAttribute('data-iy')).toBe(String(iy));
  return Number(await readout.getAttribute('data-loss'));
}

describe('an ensemble in the viewer', () => {
  it('shows the median surface colored by the spread, and steps to member 2', async () => {
    const statistics = (await stack.api<EnsembleStatistics>(`/api/v1/ensembles/${ensemble.id}/statistics`)).body;
    await page.goto(`${stack.baseUrl}/?ensemble=${ensemble.id}`);
    await page.waitForFunction(() => window.lossAtlas.ensembleMedianShown(), undefined, { timeout: 20_000 });
    expect(await page.textContent('#surface-title')).toContain('median of 3 surfaces');
    expect(await lossUnderCursor(2, 5)).toBe(statistics.loss.median[5]![2]);
    expect(await page.textContent('#readout')).toContain(`over 3 of 3 members`);
    await page.screenshot({ path: join(artifacts, 'ensemble-median.png') });

    await page.locator('#ensemble-members button', { hasText: /^2$/ }).click();
    const member = ensemble.members[1]!;
    await page.waitForFunction((id) => window.lossAtlas.currentSurface() === id, member.surfaceId, { timeout: 20_000 });
    expect(page.url()).toContain(`ensemble=${ensemble.id}&member=2`);
    expect(await page.getAttribute('#ensemble-members button[aria-pressed="true"]', 'title')).toContain(`direction seed ${member.seed}`);
    await page.waitForFunction(() => document.querySelector<HTMLProgressElement>('#job-progress')!.dataset.percent === '100', null, { timeout: 20_000 });
    const result = (await stack.api<SurfaceResult>(`/api/v1/surfaces/${member.surfaceId}/result`)).body;
    expect(await lossUnderCursor(2, 5)).toBe(result.loss[5]![2]);
    await page.screenshot({ path: join(artifacts, 'ensemble-member-2.png') });
    expect(pageErrors).toEqual([]);
  });
});
