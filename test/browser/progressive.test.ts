import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SurfaceRecord, SurfaceResult } from '../../contract/index.ts';
import { BROWSER_ARTIFACTS as artifacts, openBrowser } from '../helpers/browser.ts';
import { startStack, type Stack } from '../helpers/stack.ts';

/**
 * A surface refined coarse to fine in the viewer (real chromium, API and worker): while its levels
 * land it is drawn whole, the points not computed yet interpolated and marked as a preview; at the
 * end the badge goes and the values are the result's.
 */
let stack: Stack;
let browser: Awaited<ReturnType<typeof openBrowser>>;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  stack = await startStack({ workers: 1 });
  browser = await openBrowser(pageErrors);
  page = browser.page;
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('viewer, progressive refinement', () => {
  it('marks the surface as a preview while its levels land, and drops the mark when it is complete', async () => {
    // 21×21 has 5 levels (3×3, 5×5, 9×9, 17×17, all); 2,000 digits keep each point busy long enough to watch.
    const { status, body } = await stack.api<{ id: string }>('/api/v1/surfaces', {
      method: 'POST',
      json: { model: 'demo-cnn-skip', dataset: { id: 'mnist', split: 'test', samples: 2000 }, grid: { x: { min: -1, max: 1, num: 21 }, y: { min: -1, max: 1, num: 21 } }, progressive: { previewSamples: 100 } },
    });
    expect(status).toBe(202);
    await page.goto(`${stack.baseUrl}/?surface=${body.id}`);
    const badge = page.locator('#preview-badge');
    await expect.poll(() => badge.isVisible(), { timeout: 60_000 }).toBe(true);
    const seen = (await badge.textContent())!;
    expect(seen).toMatch(/^preview · level [1-5]\/5( · 100 samples)?$/);

    // (2, 2) is in the last level: until it lands, the map draws an interpolated value there, which the readout calls a preview.
    const cell = await page.evaluate(() => window.lossAtlas.projectGridPoint(2, 2, '2d'));
    await page.mouse.move(cell!.x, cell!.y);
    const readout = page.locator('#readout');
    await expect.poll(() => readout.getAttribute('data-ix')).toBe('2');
    // The readout follows the cursor's point as values land.
    await expect.poll(() => readout.textContent(), { timeout: 60_000 }).toMatch(/not computed yet · preview loss ≈ \d/);
    expect(await readout.getAttribute('data-loss')).toBe('');
    expect(await badge.textContent()).toMatch(/^preview · level [1-4]\/5/);
    const record = (await stack.api<SurfaceRecord>(`/api/v1/surfaces/${body.id}`)).body;
    expect(record.status).not.toBe('completed');
    await page.screenshot({ path: join(artifacts, 'progressive-preview.png'), timeout: 120_000 });

    await page.waitForFunction(() => document.querySelector<HTMLProgressElement>('#job-progress')!.dataset.percent === '100', null, { timeout: 500_000 });
    await expect.poll(() => badge.isVisible()).toBe(false);
    const result = (await stack.api<SurfaceResult>(`/api/v1/surfaces/${body.id}/result`)).body;
    // The page's layout may have moved with the finished caption: find the cell again.
    const again = await page.evaluate(() => window.lossAtlas.projectGridPoint(2, 2, '2d'));
    await page.mouse.move(again!.x + 1, again!.y);
    await expect.poll(() => readout.getAttribute('data-loss')).toBe(String(result.loss[2]![2]));
    expect([await readout.getAttribute('data-ix'), await readout.getAttribute('data-iy')]).toEqual(['2', '2']);
    expect(await readout.textContent()).not.toContain('preview');
    expect(pageErrors).toEqual([]);
  }, 600_000);
});
