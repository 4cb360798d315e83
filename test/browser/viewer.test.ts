import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SurfaceRecord, SurfaceRequest, SurfaceResult } from '../../contract/index.ts';
import type { ComparisonRecord, StoredComparison } from '../../contract/comparisons.ts';
import { formatNumber } from '../../web/src/format.ts';
import { BROWSER_ARTIFACTS as artifacts, openBrowser } from '../helpers/browser.ts';
import { mlpFiles, uploadModel } from '../helpers/models.ts';
import { startStack, type Stack } from '../helpers/stack.ts';

/**
 * The viewer in a real browser (Debian's chromium, WebGL on SwiftShader) against the real API and
 * a real worker. Screenshots land in test-artifacts/browser/ (git-ignored).
 */
const SMALL = { samples: 200, num: 11 };
/** The committed demo with four members, Hessian maps and an ensemble companion. */
const DEMO = 'demo-resnets-fashion';
/** The committed demos, in the order the start page links their reports. */
const COMMITTED_DEMOS = [DEMO, 'demo-dense-vs-plain', 'demo-unet-long-skips'];

let stack: Stack;
let browser: Awaited<ReturnType<typeof openBrowser>>;
let page: Page;
const pageErrors: string[] = [];

async function api<T>(path: string, init?: RequestInit): Promise<T> {
  const response = await fetch(`${stack.baseUrl}${path}`, init);
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

async function createSurface(request: SurfaceRequest): Promise<string> {
  const created = await api<{ id: string }>('/api/v1/surfaces', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) });
  return created.id;
}

async function waitCompleted(id: string, timeoutMs = 90_000): Promise<SurfaceResult> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const record = await api<SurfaceRecord>(`/api/v1/surfaces/${id}`);
    if (record.status === 'completed') return api<SurfaceResult>(`/api/v1/surfaces/${id}/result`);
    if (record.status === 'failed' || record.status === 'cancelled') throw new Error(`surface ${id} ${record.status}: ${record.error?.message}`);
    if (Date.now() > deadline) throw new Error(`surface ${id} not completed in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Pixel statistics of a PNG (decoded by the page itself): the colorful share and the luminance
 * spread (a blank or background-only canvas has neither; the colormapped surface has plenty of
 * saturated pixels), and the shares of clearly red and clearly blue pixels (both ends of a
 * diverging colormap).
 */
async function pixelStats(png: Buffer): Promise<{ colorful: number; spread: number; red: number; blue: number }> {
  return page.evaluate(async (base64) => {
    const { data } = await window.decodePng(base64);
    let colorful = 0;
    let red = 0;
    let blue = 0;
    let sum = 0;
    let sumSquares = 0;
    const pixels = data.length / 4;
    for (let i = 0; i < data.length; i += 4) {
      const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
      const max = Math.max(r, g, b);
      const min = Math.min(r, g, b);
      if (max > 40 && (max - min) / max > 0.35) colorful++;
      if (r - b > 25) red++;
      if (b - r > 25) blue++;
      const luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
      sum += luminance;
      sumSquares += luminance * luminance;
    }
    const mean = sum / pixels;
    return { colorful: colorful / pixels, spread: Math.sqrt(Math.max(0, sumSquares / pixels - mean * mean)), red: red / pixels, blue: blue / pixels };
  }, png.toString('base64'));
}

/** Bounding box (in image pixels) of the colormapped pixels of a PNG: a 2D map's plot area. */
async function colorfulBox(png: Buffer): Promise<{ width: number; height: number }> {
  return page.evaluate(async (base64) => {
    const { data, width } = await window.decodePng(base64);
    let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
    for (let i = 0; i < data.length; i += 4) {
      const max = Math.max(data[i]!, data[i + 1]!, data[i + 2]!);
      const min = Math.min(data[i]!, data[i + 1]!, data[i + 2]!);
      if (max > 40 && (max - min) / max > 0.35) {
        const x = (i / 4) % width;
        const y = Math.floor(i / 4 / width);
        [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
      }
    }
    return { width: x1 - x0 + 1, height: y1 - y0 + 1 };
  }, png.toString('base64'));
}

/** Area (CSS px²) where two elements' boxes overlap on screen. */
async function overlap(a: string, b: string): Promise<number> {
  const [p, q] = [(await page.locator(a).first().boundingBox())!, (await page.locator(b).first().boundingBox())!];
  const width = Math.min(p.x + p.width, q.x + q.width) - Math.max(p.x, q.x);
  const height = Math.min(p.y + p.height, q.y + q.height) - Math.max(p.y, q.y);
  return Math.max(0, width) * Math.max(0, height);
}

const baseRequest = (model: string, grid: SurfaceRequest['grid']): SurfaceRequest => ({
  model,
  dataset: { id: 'mnist', split: 'test', samples: SMALL.samples },
  directions: { normalization: 'filter', ignore: 'biasbn', mode: 'weights', seed: 0 },
  grid,
});
const axis = { min: -1, max: 1, num: SMALL.num };

let plainId: string;
let lineId: string;
let skipId: string;

beforeAll(async () => {
  stack = await startStack({ workers: 1 });
  browser = await openBrowser(pageErrors);
  page = browser.page;
  // What a researcher's laptop shows (issue 11's walk-through).
  await page.setViewportSize({ width: 1400, height: 900 });
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('viewer in a real browser', () => {
  it('opens the committed demo comparison report at once: finding, every member, metrics, Hessian maps and gradient flow', async () => {
    const comparison = await api<ComparisonRecord>(`/api/v1/comparisons/${DEMO}`);
    expect(comparison.status).toBe('completed');
    await page.goto(`${stack.baseUrl}/report.html?id=${DEMO}`);
    await page.waitForFunction(() => (document.querySelector('#finding')?.textContent ?? '').length > 20, undefined, { timeout: 20_000 });
    expect(await page.textContent('#finding')).toContain(comparison.finding!.slice(0, 30));
    const metrics = (await page.textContent('#metrics')) ?? '';
    for (const member of comparison.members) expect(metrics).toContain(member.label);
    expect(await page.locator('#surfaces canvas').count()).toBeGreaterThanOrEqual(comparison.members.length);
    // Every member's full-Hessian map is drawn, and its mean |λmin/λmax| is in the table.
    expect(await page.locator('#curvature canvas[aria-label^="|λmin/λmax|"]').count()).toBe(comparison.members.length);
    const hessianRow = page.locator('#metrics tr', { hasText: 'Mean |λmin/λmax| (Hessian)' }).locator('td');
    expect(await hessianRow.allTextContents()).toEqual(comparison.members.map((m) => formatNumber(m.hessian!.summary!.meanAbsRatio)));
    // Gradient flow at initialisation and trained for every member.
    expect(await page.locator('#gradient-flow canvas').count()).toBeGreaterThan(0);
    const legend = (await page.textContent('#gradient-flow')) ?? '';
    for (const member of comparison.members) {
      expect(member.gradientFlow.map((f) => f.label)).toEqual(['initialisation', 'trained']);
      expect(legend).toContain(`${member.label} · initialisation`);
    }
    const shot = await page.screenshot({ path: join(artifacts, 'report.png'), fullPage: true });
    expect((await pixelStats(shot)).colorful).toBeGreaterThan(0.02);
    expect(pageErrors).toEqual([]);
  });

  it('submits the default job from the form, grows the surface to 100 % and reads values under the cursor', async () => {
    await page.goto(`${stack.baseUrl}/`);
    await expect.poll(() => page.locator('#model').inputValue()).toBe('demo-cnn-skip');
    expect(await page.locator('#dataset').inputValue()).toBe('mnist');
    expect(await page.locator('#x-num').inputValue()).toBe('21');
    await page.screenshot({ path: join(artifacts, 'home.png') });

    // Keyboard only: the form is labelled, so fields are found by their labels.
    await page.getByLabel('Samples').fill(String(SMALL.samples));
    await page.getByLabel('points').first().fill(String(SMALL.num));
    await page.locator('#y-num').fill(String(SMALL.num));
    await page.getByLabel('Samples').focus();
    await page.keyboard.press('Enter');

    await page.waitForFunction(() => window.lossAtlas.currentSurface() !== null);
    skipId = (await page.evaluate(() => window.lossAtlas.currentSurface()))!;
    expect(page.url()).toContain(`surface=${skipId}`);
    // Queued behind the form's job (one worker), for the compare and 1D tests below.
    plainId = await createSurface(baseRequest('demo-cnn-plain', { x: axis, y: axis }));
    lineId = await createSurface(baseRequest('demo-cnn-skip', { x: { min: -1, max: 1, num: 21 } }));
    await page.waitForFunction(() => document.querySelector<HTMLProgressElement>('#job-progress')!.dataset.percent === '100', null, { timeout: 120_000 });
    expect(await page.locator('#progress-text').textContent()).toContain('100 %');
    const timeline = await page.evaluate(() => window.lossAtlas.timeline);
    console.log(`submit → first rows drawn: ${Math.round(timeline.firstRowsDrawnAt! - timeline.submittedAt!)} ms`);

    const result = await waitCompleted(skipId);
    expect(result.shape).toEqual([SMALL.num, SMALL.num]);
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(artifacts, 'surface.png') });
    const surface = await pixelStats(await page.locator('#view3d canvas').screenshot());
    expect(surface.colorful).toBeGreaterThan(0.05);
    expect(surface.spread).toBeGreaterThan(10);
    // The 2D map of the square domain [-1, 1]² is drawn square: its colored area, as on screen, within 2 %.
    const map = await colorfulBox(await page.locator('#view2d canvas').screenshot());
    expect(map.width).toBeGreaterThan(150);
    expect(Math.abs(map.width / map.height - 1)).toBeLessThan(0.02);
    // Its contour lines carry their levels.
    expect(Number(await page.locator('#view2d canvas').getAttribute('data-level-labels'))).toBeGreaterThanOrEqual(3);

    // Hover a grid point near the front corner of the 3D view (never hidden behind the surface).
    const at3d = { ix: SMALL.num - 2, iy: 1 };
    const point = await page.evaluate(({ ix, iy }) => window.lossAtlas.projectGridPoint(ix, iy, '3d'), at3d);
    await page.mouse.move(point!.x, point!.y);
    const readout = page.locator('#readout');
    await expect.poll(() => readout.getAttribute('data-ix')).toBe(String(at3d.ix));
    expect(await readout.getAttribute('data-iy')).toBe(String(at3d.iy));
    expect(Number(await readout.getAttribute('data-loss'))).toBe(result.loss[at3d.iy][at3d.ix]);
    expect(Number(await readout.getAttribute('data-accuracy'))).toBe(result.accuracy![at3d.iy][at3d.ix]);
    expect(Number(await readout.getAttribute('data-alpha'))).toBe(result.axes.x[at3d.ix]);
    expect(await readout.textContent()).toContain(`loss = ${Number(result.loss[at3d.iy][at3d.ix]!.toPrecision(6))}`);

    // The 2D map reads the same grid, and the arrow keys move the cursor from there.
    const at2d = { ix: 3, iy: 8 };
    const cell = await page.evaluate(({ ix, iy }) => window.lossAtlas.projectGridPoint(ix, iy, '2d'), at2d);
    await page.mouse.move(cell!.x, cell!.y);
    await expect.poll(() => readout.getAttribute('data-ix')).toBe(String(at2d.ix));
    expect(Number(await readout.getAttribute('data-loss'))).toBe(result.loss[at2d.iy][at2d.ix]);
    await page.locator('#view2d canvas').focus();
    await page.keyboard.press('ArrowUp');
    await expect.poll(() => readout.getAttribute('data-iy')).toBe(String(at2d.iy + 1));
    expect(Number(await readout.getAttribute('data-loss'))).toBe(result.loss[at2d.iy + 1][at2d.ix]);
    await page.screenshot({ path: join(artifacts, 'surface-hover.png') });

    // Exports from the view panel: a PNG of the canvas and the surface as CSV. Open, the panel covers neither the 2D map nor the color bar.
    await page.locator('.lil-gui .lil-title').first().click();
    await expect.poll(() => page.locator('.lil-gui.lil-root').evaluate((gui) => gui.getBoundingClientRect().height)).toBeGreaterThan(300);
    for (const view of ['#view2d', '#colorbar']) expect(await overlap('.lil-gui.lil-root', view), view).toBe(0);
    const [png] = await Promise.all([page.waitForEvent('download'), page.getByText('PNG of the view').click()]);
    const pngBytes = await readFile((await png.path())!);
    expect(pngBytes.subarray(1, 4).toString()).toBe('PNG');
    expect((await pixelStats(pngBytes)).colorful).toBeGreaterThan(0.05);
    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByText('CSV of the surface').click()]);
    const rows = (await readFile((await csv.path())!, 'utf8')).trim().split('\n');
    expect(rows.length).toBe(1 + SMALL.num * SMALL.num);
    expect(rows[1 + at3d.iy * SMALL.num + at3d.ix].split(',')[4]).toBe(String(result.loss[at3d.iy][at3d.ix]));
    expect(pageErrors).toEqual([]);
  });

  it('compares two surfaces side by side with one color scale and linked cameras', async () => {
    const [skip, plain] = await Promise.all([waitCompleted(skipId), waitCompleted(plainId)]);
    await page.goto(`${stack.baseUrl}/?compare=${skipId},${plainId}`);
    const panels = page.locator('.compare-panel');
    await expect.poll(() => panels.count()).toBe(2);
    // Both panels load their surface and start WebGL first; on a busy machine that takes longer than the 1 s default poll.
    await expect.poll(() => page.locator('.compare-panel table.figures tr').count(), { timeout: 20_000 }).toBe(16);
    await expect.poll(() => page.locator('.panel-status').allTextContents(), { timeout: 20_000 }).toEqual(['', '']);
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(artifacts, 'compare.png') });
    // The settings panel leaves the color bar and its title uncovered, closed or open.
    expect(await overlap('.lil-gui.lil-root', '#compare-colorbar')).toBe(0);
    await page.locator('.lil-gui .lil-title').first().click();
    expect(await overlap('.lil-gui.lil-root', '#compare-colorbar')).toBe(0);
    await page.locator('.lil-gui .lil-title').first().click();

    const before = [];
    for (let i = 0; i < 2; i++) {
      const stats = await pixelStats(await panels.nth(i).locator('canvas').screenshot());
      expect(stats.colorful).toBeGreaterThan(0.05);
      before.push(await panels.nth(i).locator('canvas').screenshot());
    }
    // Loss at θ* (the centre of an 11-point [-1, 1] grid) as the API has it, in each table.
    const centre = (SMALL.num - 1) / 2;
    const figures = await panels.locator('table.figures tr:first-child td').allTextContents();
    expect(figures).toEqual([skip, plain].map((r) => String(Number(r.loss[centre][centre]!.toPrecision(5)))));

    // Hovering one surface reads the same grid point on both. A point between θ* and the corner:
    // with cross-entropy from logits the far corners rise steeply and can leave the panel's view.
    const at = { ix: centre + 2, iy: centre - 2 };
    const point = await page.evaluate(({ ix, iy }) => window.lossAtlas.projectComparePoint(0, ix, iy), at);
    await page.mouse.move(point!.x, point!.y);
    const readouts = page.locator('.panel-readout');
    await expect.poll(() => readouts.nth(1).getAttribute('data-loss')).toBe(String(plain.loss[at.iy][at.ix]));
    expect(await readouts.nth(0).getAttribute('data-loss')).toBe(String(skip.loss[at.iy][at.ix]));
    // Each with the standard error of its loss over the evaluation samples.
    for (const [k, r] of [skip, plain].entries()) {
      expect(await readouts.nth(k).getAttribute('data-std-error')).toBe(String(r.lossStdError![at.iy]![at.ix]));
      expect(await readouts.nth(k).textContent()).toContain(`loss = ${formatNumber(r.loss[at.iy][at.ix], 6)} ± ${formatNumber(r.lossStdError![at.iy]![at.ix], 3)},`);
    }

    // Rotating the first view turns the second one with it and puts the camera in the link.
    const box = (await panels.nth(0).locator('canvas').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 120, box.y + box.height / 2 + 20, { steps: 8 });
    await page.mouse.up();
    await expect.poll(() => page.url(), { timeout: 5000 }).toContain('cam=');
    await page.waitForTimeout(500);
    const after = await panels.nth(1).locator('canvas').screenshot();
    expect(after.equals(before[1])).toBe(false);
    await page.screenshot({ path: join(artifacts, 'compare-rotated.png') });
    expect(pageErrors).toEqual([]);
  });

  it('offers "Difference with…" for compatible surfaces and draws L_A − L_B with a diverging colormap', async () => {
    // Two demo nets on one small grid with the same samples and directions: compatible.
    const tiny = { min: -1, max: 1, num: 5 };
    const request = (model: string): SurfaceRequest => ({ ...baseRequest(model, { x: tiny, y: tiny }), dataset: { id: 'mnist', split: 'test', samples: 100 } });
    const [skip, plain] = await Promise.all([createSurface(request('demo-cnn-skip')), createSurface(request('demo-cnn-plain'))]);
    const [a, b] = await Promise.all([waitCompleted(skip), waitCompleted(plain)]);
    await page.goto(`${stack.baseUrl}/?surface=${skip}`);
    const picker = page.getByLabel('Difference with…');
    await expect.poll(() => picker.isVisible(), { timeout: 20_000 }).toBe(true);
    const offered = await picker.locator('option').evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value));
    expect(offered).toContain(plain);
    expect(offered).not.toContain(lineId);
    await picker.selectOption(plain);
    await expect.poll(() => page.evaluate(() => window.lossAtlas.currentDifference()), { timeout: 20_000 }).toEqual([skip, plain]);
    expect(page.url()).toContain(`?difference=${skip},${plain}`);
    await expect.poll(() => page.locator('#colorbar').getAttribute('aria-label')).toMatch(/^Color bar rdbu, L_A − L_B from -/);
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(artifacts, 'difference.png') });
    // Both ends of the diverging colormap on the surface and its contour map (the demo nets' difference changes sign on this grid).
    for (const view of ['#view3d canvas', '#view2d canvas']) {
      const shares = await pixelStats(await page.locator(view).screenshot());
      console.log(`difference view ${view}: red ${shares.red.toFixed(4)}, blue ${shares.blue.toFixed(4)}`);
      expect(shares.red).toBeGreaterThan(0.002);
      expect(shares.blue).toBeGreaterThan(0.002);
    }

    // The cursor reads L_A − L_B at a grid point of the map.
    const at = { ix: 3, iy: 1 };
    const cell = await page.evaluate(({ ix, iy }) => window.lossAtlas.projectGridPoint(ix, iy, '2d'), at);
    await page.mouse.move(cell!.x, cell!.y);
    const readout = page.locator('#readout');
    await expect.poll(() => readout.getAttribute('data-ix')).toBe(String(at.ix));
    expect(Number(await readout.getAttribute('data-loss'))).toBe(a.loss[at.iy]![at.ix]! - b.loss[at.iy]![at.ix]!);
    expect(Number(await readout.getAttribute('data-std-error'))).toBe(Math.hypot(a.lossStdError![at.iy]![at.ix]!, b.lossStdError![at.iy]![at.ix]!));
    expect(await readout.textContent()).toMatch(/L_A − L_B = -?[\d.e-]+ ± [\d.e-]+, accuracy difference = /);

    // The link opens the same view directly.
    await page.goto(`${stack.baseUrl}/?difference=${plain},${skip}`);
    await expect.poll(() => page.evaluate(() => window.lossAtlas.currentDifference()), { timeout: 20_000 }).toEqual([plain, skip]);
    expect(await page.locator('#provenance').textContent()).toContain('mean |Δ|');
    expect(pageErrors).toEqual([]);
  });

  it('draws a 1D surface as a loss and accuracy chart', async () => {
    const line = await waitCompleted(lineId);
    expect(line.kind).toBe('1d');
    await page.goto(`${stack.baseUrl}/?surface=${lineId}`);
    await page.waitForFunction(() => document.querySelector<HTMLProgressElement>('#job-progress')!.dataset.percent === '100');
    const chart = page.locator('#chart1d');
    await expect.poll(() => chart.isVisible()).toBe(true);
    expect(await page.locator('#view3d').isVisible()).toBe(false);
    await expect.poll(() => chart.locator('.u-legend').textContent()).toContain('accuracy');
    const stats = await pixelStats(await chart.locator('canvas').screenshot());
    expect(stats.spread).toBeGreaterThan(5);
    // Hovering the chart at point 15 of 21 (α = 0.5) reads that point.
    const plot = (await chart.locator('.u-over').boundingBox())!;
    await page.mouse.move(plot.x + (15 / 20) * plot.width, plot.y + plot.height / 2);
    const readout = page.locator('#readout');
    await expect.poll(() => readout.getAttribute('data-ix')).toBe('15');
    expect(Number(await readout.getAttribute('data-loss'))).toBe(line.loss[0][15]);
    expect(await readout.getAttribute('data-beta')).toBe('');
    await page.screenshot({ path: join(artifacts, 'line.png') });
    expect(pageErrors).toEqual([]);
  });

  it('draws an interpolation evaluated on train and test side by side as two pairs of curves', async () => {
    const ids: string[] = [];
    for (const seed of [1, 2]) ids.push(((await uploadModel(stack.baseUrl, `interpolate-${seed}`, await mlpFiles([8], seed))).body.id as string));
    const id = await createSurface({
      model: ids[0]!,
      dataset: { id: 'moons', samples: 100 },
      directions: { kind: 'interpolation', to: ids[1]! },
      grid: {},
      splits: ['train', 'test'],
    });
    const result = await waitCompleted(id);
    await page.goto(`${stack.baseUrl}/?surface=${id}`);
    await page.waitForFunction(() => document.querySelector<HTMLProgressElement>('#job-progress')!.dataset.percent === '100');
    const chart = page.locator('#chart1d');
    await expect.poll(() => chart.locator('.u-legend').textContent()).toContain('test accuracy %');
    const legend = (await chart.locator('.u-legend').textContent()) ?? '';
    for (const label of ['train loss', 'train accuracy %', 'test loss']) expect(legend).toContain(label);
    expect(await page.textContent('#provenance')).toContain(`interpolation to model ${ids[1]}`);
    // Hovering α = 1 (point 30 of 41) reads the train split there.
    const plot = (await chart.locator('.u-over').boundingBox())!;
    await page.mouse.move(plot.x + (30 / 40) * plot.width, plot.y + plot.height / 2);
    await expect.poll(() => page.locator('#readout').getAttribute('data-ix')).toBe('30');
    expect(Number(await page.locator('#readout').getAttribute('data-loss'))).toBe(result.splits![0]!.loss[30]);
    await page.screenshot({ path: join(artifacts, 'interpolation-splits.png') });
    expect(pageErrors).toEqual([]);
  });

  it('uploads a model from the page, and shows API errors next to the field they name', async () => {
    await page.goto(`${stack.baseUrl}/`);
    await expect.poll(() => page.locator('#model').inputValue()).toBe('demo-cnn-skip');
    const folder = mkdtempSync(join(tmpdir(), 'loss-atlas-upload-'));
    const files = await mlpFiles([8], 3);
    const paths = Object.entries(files).map(([name, bytes]) => {
      writeFileSync(join(folder, name), bytes);
      return join(folder, name);
    });
    await page.getByText('Upload a model').click();
    const status = page.locator('#upload-status');

    // A broken file: the API's message is shown.
    writeFileSync(join(folder, 'broken.json'), 'not json');
    await page.locator('#upload-files').setInputFiles([join(folder, 'broken.json')]);
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    // Uploads are decoded in a child process (seconds on a loaded machine): wait for the answer, not for a fixed second.
    await expect.poll(() => status.textContent(), { timeout: 60_000 }).toMatch(/^Upload failed: .+/);

    await page.locator('#upload-files').setInputFiles(paths);
    await page.getByLabel('Name', { exact: true }).fill('browser-mlp');
    await page.getByLabel('Trained on').selectOption('moons');
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await expect.poll(() => status.textContent(), { timeout: 60_000 }).toContain('Uploaded browser-mlp');
    const models = await api<{ items: { id: string; name: string }[] }>('/api/v1/models');
    const uploaded = models.items.find((m) => m.name === 'browser-mlp')!;
    expect(await page.locator('#model').inputValue()).toBe(uploaded.id);
    expect(await page.locator('#dataset').inputValue()).toBe('moons');
    rmSync(folder, { recursive: true, force: true });

    // The 28×28 demo net on 2D points: the API rejects it and names dataset.id.
    await page.locator('#model').selectOption('demo-cnn-skip');
    await page.locator('#dataset').selectOption('moons');
    await page.getByRole('button', { name: 'Compute surface' }).click();
    const error = page.locator('.field-error');
    await expect.poll(() => error.textContent()).toContain('shape');
    expect(await page.locator('#dataset').getAttribute('aria-invalid')).toBe('true');
    await page.screenshot({ path: join(artifacts, 'form-error.png') });
    expect(pageErrors).toEqual([]);
  });

  it('cancels a running job from the page', async () => {
    await page.goto(`${stack.baseUrl}/`);
    await expect.poll(() => page.locator('#model').inputValue()).toBe('demo-cnn-skip');
    // The default job (21×21, 500 samples) runs long enough to be caught.
    await page.getByRole('button', { name: 'Compute surface' }).click();
    const progress = page.locator('#progress-text');
    await expect.poll(() => progress.textContent(), { timeout: 60_000 }).toMatch(/^running/);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => progress.textContent(), { timeout: 30_000 }).toMatch(/^cancelled at \d+ \/ 441 points/);
    expect(await page.getByRole('button', { name: 'Cancel' }).isVisible()).toBe(false);
    const id = (await page.evaluate(() => window.lossAtlas.currentSurface()))!;
    expect((await api<SurfaceRecord>(`/api/v1/surfaces/${id}`)).status).toBe('cancelled');
    expect(pageErrors).toEqual([]);
  });

  it("draws a PCA surface's training path, epoch by epoch, on the 3D surface and on the 2D map", async () => {
    const training = await api<{ id: string }>('/api/v1/trainings', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ architecture: { id: 'mlp', width: 0.5 }, dataset: { id: 'moons' }, epochs: 4, optimizer: { name: 'adam', learningRate: 0.01 }, seed: 2, checkpointEvery: 1 }),
    });
    let modelId: string | null = null;
    for (const deadline = Date.now() + 120_000; !modelId && Date.now() < deadline; await new Promise((r) => setTimeout(r, 500))) {
      const record = await api<{ status: string; modelId: string | null }>(`/api/v1/trainings/${training.id}`);
      if (record.status === 'failed') throw new Error('the training failed');
      modelId = record.modelId;
    }
    const pcaRequest = (extent: number): SurfaceRequest => ({
      model: modelId!,
      dataset: { id: 'moons', split: 'test', samples: 100 },
      directions: { kind: 'pca', training: training.id },
      grid: { x: { min: -extent, max: extent, num: SMALL.num }, y: { min: -extent, max: extent, num: SMALL.num } },
    });
    // A first small plane finds how far the path goes; the drawn one holds all of it.
    const probe = await waitCompleted(await createSurface({ ...pcaRequest(1), grid: { x: { min: -1, max: 1, num: 2 }, y: { min: -1, max: 1, num: 2 } } }));
    const extent = 1.2 * Math.max(...probe.trajectory!.cos.flat().map(Math.abs));
    const id = await createSurface(pcaRequest(extent));
    const result = await waitCompleted(id);
    expect(result.trajectory!.epochs).toEqual([0, 1, 2, 3, 4]);

    await page.goto(`${stack.baseUrl}/?surface=${id}`);
    await page.waitForFunction(() => document.querySelector<HTMLProgressElement>('#job-progress')!.dataset.percent === '100');
    expect(await page.textContent('#provenance')).toContain(`PCA of training ${training.id}, epochs 0, 1, 2, 3, 4, explained variance`);
    await page.waitForTimeout(300);
    /** Saturated red pixels (the path's color; viridis has none) in a small square around a point. */
    const redAround = async (point: { x: number; y: number }) => {
      const png = await page.screenshot({ clip: { x: point.x - 4, y: point.y - 4, width: 9, height: 9 } });
      return page.evaluate(async (base64) => {
        const { data } = await window.decodePng(base64);
        let red = 0;
        for (let i = 0; i < data.length; i += 4) if (data[i] > 200 && data[i + 1] < 90 && data[i + 2] < 90) red++;
        return red;
      }, png.toString('base64'));
    };
    // Epochs 0–3 (epoch 4 is θ*, under its own marker) where they are drawn in each view.
    for (const view of ['3d', '2d'] as const) {
      for (const k of [0, 1, 2, 3]) {
        const point = await page.evaluate(({ k, view }) => window.lossAtlas.projectPathPoint(k, view), { k, view });
        expect(point, `epoch ${k} in ${view}`).not.toBeNull();
        expect(await redAround(point!), `epoch ${k} in ${view}`).toBeGreaterThan(3);
      }
    }
    // The same places on a random surface of the same model show no red.
    const randomId = await createSurface({ ...pcaRequest(extent), directions: { seed: 0 } });
    await waitCompleted(randomId);
    const pathPoint = (await page.evaluate(() => window.lossAtlas.projectPathPoint(1, '2d')))!;
    await page.goto(`${stack.baseUrl}/?surface=${randomId}`);
    await page.waitForFunction(() => document.querySelector<HTMLProgressElement>('#job-progress')!.dataset.percent === '100');
    await page.waitForTimeout(300);
    expect(await page.evaluate(() => window.lossAtlas.projectPathPoint(1, '2d'))).toBeNull();
    expect(await redAround(pathPoint)).toBe(0);
    await page.goto(`${stack.baseUrl}/?surface=${id}`);
    await page.waitForFunction(() => document.querySelector<HTMLProgressElement>('#job-progress')!.dataset.percent === '100');
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(artifacts, 'pca-trajectory.png') });
    expect(pageErrors).toEqual([]);
  });

  it('lists the committed demos in the sidebar and the welcome text, and opens a report and its surfaces in the 3D compare view', async () => {
    // The list the panel is drawn from.
    const { items } = await api<{ items: StoredComparison[] }>('/api/v1/comparisons');
    expect(COMMITTED_DEMOS.filter((id) => items.some((c) => c.id === id && c.status === 'completed'))).toEqual(COMMITTED_DEMOS);
    const comparison = items.find((c) => c.id === DEMO)!;
    const surfaceIds = comparison.members.map((member) => member.surfaceId);
    expect(surfaceIds).toHaveLength(4);
    expect(surfaceIds.every((id) => id !== null)).toBe(true);

    await page.goto(`${stack.baseUrl}/`);
    // The welcome text links every committed demo's report, ResNets first.
    expect(await page.locator('#intro #demo-reports a').evaluateAll((links) => links.map((a) => a.getAttribute('href')))).toEqual(COMMITTED_DEMOS.map((id) => `report.html?id=${id}`));
    const panel = page.getByRole('region', { name: 'Comparisons', exact: true });
    for (const id of COMMITTED_DEMOS) {
      const listed = panel.getByRole('listitem').filter({ hasText: items.find((c) => c.id === id)!.name! });
      await expect.poll(() => listed.count(), { timeout: 20_000 }).toBe(1);
    }
    const item = panel.getByRole('listitem').filter({ hasText: comparison.name! });
    const report = item.getByRole('link', { name: /^Report/ });
    expect(await report.getAttribute('href')).toBe(`report.html?id=${DEMO}`);
    const open3d = item.getByRole('link', { name: /^3D/ });
    const compareIds = (href: string | null) => new URL(href!, stack.baseUrl).searchParams.get('compare')?.split(',');
    expect(compareIds(await open3d.getAttribute('href'))).toEqual(surfaceIds);

    await open3d.click();
    expect(compareIds(page.url())).toEqual(surfaceIds);
    // On the report's log loss scale: on a linear one the 20-layer nets' basins are flat under ResNet-56-noshort's 1.5e7.
    expect(new URL(page.url()).searchParams.get('scale')).toBe('log');
    const panels = page.locator('.compare-panel');
    await expect.poll(() => panels.count()).toBe(4);
    expect(await panels.evaluateAll((elements) => elements.map((element) => (element as HTMLElement).dataset.surfaceId))).toEqual(surfaceIds);
    // A panel's status is empty before its surface loads too: its mounted view is what says it loaded.
    await expect.poll(() => panels.locator('canvas').count(), { timeout: 20_000 }).toBe(4);
    expect(await page.locator('.panel-status').allTextContents()).toEqual(['', '', '', '']);
    // The loss at θ* of every surface is in its figures table, so each surface was read.
    const lossAtCentre = await panels.locator('table.figures tr:first-child td').allTextContents();
    expect(lossAtCentre.map(Number).every(Number.isFinite)).toBe(true);
    expect(lossAtCentre).toHaveLength(4);
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(artifacts, 'comparison-3d.png') });

    await page.goto(`${stack.baseUrl}/report.html?id=${DEMO}`);
    const reportLink = page.getByRole('link', { name: 'Open the surfaces in the 3D compare view' });
    await expect.poll(() => reportLink.isVisible(), { timeout: 20_000 }).toBe(true);
    expect(await reportLink.getAttribute('href')).toBe(`./?compare=${surfaceIds.join(',')}&scale=log`);
    expect(pageErrors).toEqual([]);
  });

  it('"Compare skip vs no-skip demo nets" computes fresh for new settings, reuses only an exact match, and says which', async () => {
    const demoSurfaces = async () => (await api<{ items: SurfaceRecord[] }>('/api/v1/surfaces')).items.filter((s) => s.request.model.startsWith('demo-cnn-'));
    const before = new Set((await demoSurfaces()).map((s) => s.id));
    await page.goto(`${stack.baseUrl}/`);
    await expect.poll(() => page.locator('#model').inputValue()).toBe('demo-cnn-skip');
    // Settings no earlier surface has (the other tests used 100 to 500 samples): two new surfaces.
    await page.getByLabel('Samples').fill('37');
    await page.locator('#x-num').fill('3');
    await page.locator('#y-num').fill('3');
    const button = page.getByRole('button', { name: 'Compare skip vs no-skip demo nets' });
    await button.click();
    await expect.poll(() => page.locator('#messages').textContent()).toContain('Computing both demo nets');
    await expect.poll(() => new URL(page.url()).searchParams.get('compare')?.split(',').length).toBe(2);
    const fresh = new URL(page.url()).searchParams.get('compare')!.split(',');
    expect(fresh.some((id) => before.has(id))).toBe(false);
    const created = (await demoSurfaces()).filter((s) => fresh.includes(s.id));
    expect(created.map((s) => [s.request.model, s.request.dataset.samples, s.request.grid.x?.num])).toEqual(
      expect.arrayContaining([['demo-cnn-skip', 37, 3], ['demo-cnn-plain', 37, 3]]),
    );
    // The same settings again: the pair just made, nothing new.
    await page.goto(`${stack.baseUrl}/`);
    await expect.poll(() => page.locator('#model').inputValue()).toBe('demo-cnn-skip');
    await page.getByLabel('Samples').fill('37');
    await page.locator('#x-num').fill('3');
    await page.locator('#y-num').fill('3');
    await button.click();
    await expect.poll(() => page.locator('#messages').textContent()).toContain('computed earlier');
    expect(new URL(page.url()).searchParams.get('compare')!.split(',')).toEqual(fresh);
    expect((await demoSurfaces()).length).toBe(before.size + 2);
    // The surfaces list tells the rows apart: data, samples and seed on each.
    for (const detail of await page.locator('.surface-item .surface-detail').allTextContents()) expect(detail).toMatch(/ · \d+ samples · (seed \d+|\w+) · \d\d-\d\d \d\d:\d\d$/);
    expect(pageErrors).toEqual([]);
  });
});
