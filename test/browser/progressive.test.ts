import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SurfaceRecord, SurfaceResult } from '../../contract/index.ts';
import { BROWSER_ARTIFACTS as artifacts, openBrowser } from '../helpers/browser.ts';
import { startStack, type Stack } from '../helpers/stack.ts';
import { until } from '../helpers/until.ts';

/**
 * A surface refined coarse to fine in the viewer (real chromium, API and worker): while its levels
 * land it is drawn whole, the points not computed yet interpolated and marked as a preview; at the
 * end the badge goes and the values are the result's. The only worker is killed once level 0 is in,
 * so the surface waits half-computed, whatever the machine's speed, until a new worker finishes it.
 */
let stack: Stack;
let browser: Awaited<ReturnType<typeof openBrowser>>;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  stack = await startStack({ workers: 1, lockMs: 3000 });
  browser = await openBrowser(pageErrors);
  page = browser.page;
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('viewer, progressive refinement', () => {
  it('marks the surface as a preview while its levels land, and drops the mark when it is complete', async () => {
    // 13×13 has 4 levels: 3×3, 5×5, 9×9, all; (1, 1) is in the last.
    const { status, body } = await stack.api<{ id: string }>('/api/v1/surfaces', {
      method: 'POST',
      json: { model: 'demo-cnn-skip', dataset: { id: 'mnist', split: 'test', samples: 500 }, grid: { x: { min: -1, max: 1, num: 13 }, y: { min: -1, max: 1, num: 13 } }, progressive: { previewSamples: 100 } },
    });
    expect(status).toBe(202);
    for (;;) {
      const { progress } = (await stack.api<SurfaceRecord>(`/api/v1/surfaces/${body.id}`)).body;
      if (progress.done >= 9) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    stack.killWorker(stack.workers[0]!);

    await page.goto(`${stack.baseUrl}/?surface=${body.id}`, { timeout: 120_000 });
    const badge = page.locator('#preview-badge');
    await expect.poll(() => badge.textContent(), { timeout: 60_000 }).toMatch(/^preview · level [2-4]\/4( · 100 samples)?$/);
    expect(await badge.isVisible()).toBe(true);
    const cell = await page.evaluate(() => window.lossAtlas.projectGridPoint(1, 1, '2d'));
    await page.mouse.move(cell!.x, cell!.y);
    const readout = page.locator('#readout');
    await expect.poll(() => readout.getAttribute('data-ix')).toBe('1');
    expect(await readout.textContent()).toMatch(/not computed yet · preview loss ≈ \d/);
    expect(await readout.getAttribute('data-loss')).toBe('');
    await page.screenshot({ path: join(artifacts, 'progressive-preview.png') });

    await stack.addWorker();
    await page.waitForFunction(() => document.querySelector<HTMLProgressElement>('#job-progress')!.dataset.percent === '100', null, { timeout: 300_000 });
    await expect.poll(() => badge.isVisible()).toBe(false);
    // The page shows 100 % once every point is in, a moment before the worker stores the result.
    const result = await until('the surface result', async () => {
      const answer = await stack.api<SurfaceResult>(`/api/v1/surfaces/${body.id}/result`);
      return answer.status === 200 ? answer.body : undefined;
    });
    // The page's layout may have moved with the finished caption: find the cell again.
    const again = await page.evaluate(() => window.lossAtlas.projectGridPoint(1, 1, '2d'));
    await page.mouse.move(again!.x + 1, again!.y);
    // The point under the cursor (the square map's layout may shift it by a cell) shows its final value, not a preview.
    await expect.poll(() => readout.getAttribute('data-loss')).not.toBe('');
    const [ix, iy] = [Number(await readout.getAttribute('data-ix')), Number(await readout.getAttribute('data-iy'))];
    expect(Math.abs(ix - 1) + Math.abs(iy - 1)).toBeLessThanOrEqual(2);
    expect(await readout.getAttribute('data-loss')).toBe(String(result.loss[iy]![ix]));
    expect(await readout.textContent()).not.toContain('preview');
    expect(pageErrors).toEqual([]);
  }, 600_000);
});
