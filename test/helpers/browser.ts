import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

const root = resolve(import.meta.dirname, '../..');

/** Where the browser tests leave their screenshots (git-ignored). */
export const BROWSER_ARTIFACTS = join(root, 'test-artifacts/browser');

/** Builds web/dist when it is missing or older than any web source (npm test builds it anyway). */
function ensureWebBuild(): void {
  const newest = (dir: string): number =>
    Math.max(...readdirSync(dir, { withFileTypes: true }).map((entry) => (entry.isDirectory() ? newest(join(dir, entry.name)) : statSync(join(dir, entry.name)).mtimeMs)));
  const built = (() => {
    try {
      return statSync(join(root, 'web/dist/index.html')).mtimeMs;
    } catch {
      return 0;
    }
  })();
  const sources = Math.max(newest(join(root, 'web/src')), ...['index.html', 'report.html'].map((page) => statSync(join(root, 'web', page)).mtimeMs));
  if (built < sources) execFileSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
}

/** A decoded PNG's RGBA pixels (optionally of a sub-rectangle), as the page's canvas reads them. */
export interface DecodedPixels {
  data: Uint8ClampedArray;
  width: number;
  height: number;
}

declare global {
  interface Window {
    /**
     * Decodes a base64 PNG (a Playwright screenshot) in the page, so that a test's pixel analysis
     * runs there instead of shipping every pixel to Node. Installed by openBrowser on every page.
     */
    decodePng(base64: string, region?: { x: number; y: number; width: number; height: number }): Promise<DecodedPixels>;
  }
}

/** Defines window.decodePng (an init script: it runs in the page, before its own scripts). */
function installDecodePng(): void {
  window.decodePng = async (base64, region) => {
    const image = new Image();
    image.src = `data:image/png;base64,${base64}`;
    await image.decode();
    const canvas = Object.assign(document.createElement('canvas'), { width: image.width, height: image.height });
    const context = canvas.getContext('2d')!;
    context.drawImage(image, 0, 0);
    const r = region ?? { x: 0, y: 0, width: image.width, height: image.height };
    return { data: context.getImageData(r.x, r.y, r.width, r.height).data, width: r.width, height: r.height };
  };
}

/** Debian's chromium, headless, WebGL on SwiftShader, with its profile in `userDataDir`. */
function launchChromium(userDataDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--use-angle=swiftshader',
      '--enable-unsafe-swiftshader',
    ],
  });
}

/**
 * The built viewer and Debian's chromium on a fresh profile, with one page whose uncaught errors
 * land in `pageErrors`; close() shuts the browser and removes the profile.
 */
export async function openBrowser(pageErrors: string[]): Promise<{ page: Page; close(): Promise<void> }> {
  ensureWebBuild();
  mkdirSync(BROWSER_ARTIFACTS, { recursive: true });
  const userDataDir = mkdtempSync(join(tmpdir(), 'loss-atlas-chromium-'));
  const browser = await launchChromium(userDataDir);
  await browser.addInitScript(installDecodePng);
  const page = browser.pages()[0] ?? (await browser.newPage());
  page.on('pageerror', (error) => pageErrors.push(error.message));
  return {
    page,
    async close() {
      await browser.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
