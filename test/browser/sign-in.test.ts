import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newApiKey } from '../../server/plugins/auth.ts';
import { BROWSER_ARTIFACTS as artifacts, openBrowser } from '../helpers/browser.ts';
import { startStack, type Stack } from '../helpers/stack.ts';

/**
 * The viewer on a keyed API in a real browser: it asks for a key, signs in through its form and
 * then shows what the key's tenant owns. No worker: the tenants' surfaces stay queued.
 */
const a = newApiKey('tenant-a', 'user');
const b = newApiKey('tenant-b', 'user');
const request = { model: 'demo-cnn-skip', dataset: { id: 'mnist', split: 'test', samples: 20 }, grid: { x: { min: -1, max: 1, num: 3 }, y: { min: -1, max: 1, num: 3 } } };

let stack: Stack;
let browser: Awaited<ReturnType<typeof openBrowser>>;
let page: Page;
let surfaceA: string;
let surfaceB: string;
const pageErrors: string[] = [];

beforeAll(async () => {
  stack = await startStack({ workers: 0, env: { LA_API_KEYS: JSON.stringify([a.entry, b.entry]) } });
  surfaceA = (await stack.api<{ id: string }>('/api/v1/surfaces', { method: 'POST', key: a.key, json: request })).body.id;
  surfaceB = (await stack.api<{ id: string }>('/api/v1/surfaces', { method: 'POST', key: b.key, json: request })).body.id;
  browser = await openBrowser(pageErrors);
  page = browser.page;
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const item = (id: string) => page.locator(`.surface-item[data-surface-id="${id}"]`);

describe('viewer sign-in on a keyed API', () => {
  it('asks for a key, refuses a wrong one, signs in through the form and lists the tenant’s own surface', async () => {
    await page.goto(`${stack.baseUrl}/?surface=${surfaceA}`);
    const keyInput = page.getByLabel('This server needs an API key:');
    await keyInput.waitFor();
    expect(await keyInput.getAttribute('type')).toBe('password');
    expect(await item(surfaceA).count()).toBe(0);

    await keyInput.fill('la_not-a-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('.sign-in-problem').textContent()).toContain('INVALID_API_KEY');
    await page.screenshot({ path: join(artifacts, 'sign-in.png') });

    await keyInput.fill(a.key);
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Sign in' }).click()]);
    await item(surfaceA).waitFor();
    expect(await item(surfaceB).count()).toBe(0);
    expect(await page.locator('#session').textContent()).toContain('Signed in as tenant-a');
    expect(await page.locator('.sign-in').count()).toBe(0);
    // The key is in an HttpOnly cookie: the page's scripts cannot read it.
    expect(await page.evaluate(() => document.cookie)).toBe('');
    // The models list answers with the cookie too, and the surface from the URL is open.
    await expect.poll(() => page.locator('#model').inputValue()).toBe('demo-cnn-skip');
    expect(await page.evaluate(() => window.lossAtlas.currentSurface())).toBe(surfaceA);
    await page.screenshot({ path: join(artifacts, 'signed-in.png') });
    expect(pageErrors).toEqual([]);
  });

  it('signs out: the page asks for a key again', async () => {
    await Promise.all([page.waitForNavigation(), page.locator('#session').getByRole('button', { name: 'Sign out' }).click()]);
    await page.getByLabel('This server needs an API key:').waitFor();
    expect(await item(surfaceA).count()).toBe(0);
    expect(await page.locator('#session').isHidden()).toBe(true);
    expect(pageErrors).toEqual([]);
  });
});
