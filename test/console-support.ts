// What the console's browser tests share: launching Debian's Chromium through playwright-core,
// collecting page errors, injecting axe-core (through the debugger, so the page's CSP stays on),
// full-page screenshots under test-artifacts/console/, and frames with a chosen PRI.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { isoMicros, makeFrame, repoRoot } from './helpers/sluice.js';

export const CHROMIUM = '/usr/bin/chromium';
export const WAIT_MS = 10_000;
/** Where the screenshots go (gitignored); docs/console/ holds a few copied from here. */
export const SHOTS = join(repoRoot, 'test-artifacts', 'console');
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** What page functions touch; the main build has no DOM types (lib: ES2023). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the page's globals, read in page functions
export type PageWindow = any;


export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Script errors, CSP violations and failed modules seen so far. */
  problems: string[];
  close(): Promise<void>;
}

export async function openBrowser(viewport: { width: number; height: number }, timezoneId = 'UTC'): Promise<Browser> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-chromium-'));
  const context = await chromium.launchPersistentContext(dir, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport, timezoneId, acceptDownloads: true });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(WAIT_MS);
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  // A CSP violation shows up as a console error; so would a broken module. A refused key (401)
  // and the node going away (in the restart test, after the check) are expected.
  page.on('console', (m) => {
    // The console asks once whether the node has telemetry drains; a 404 there hides the tab.
    const probe = m.location().url.endsWith('/telemetry-drains') && /status of 404/.test(m.text());
    if (m.type() === 'error' && !/status of 401/.test(m.text()) && !probe) problems.push(`console: ${m.text()} (${m.location().url})`);
  });
  return {
    context,
    page,
    problems,
    close: async () => {
      await Promise.race([context.close().catch(() => {}), new Promise((r) => setTimeout(r, 10_000).unref())]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function signIn(page: Page, url: string, key: string): Promise<void> {
  await page.goto(`${url}/console`);
  await page.getByLabel('API key', { exact: true }).fill(key);
  await page.keyboard.press('Enter');
  await page.locator('#workspace').waitFor();
}

/** Waits (bounded) until a log line containing `text` is on screen. */
export async function seeLine(page: Page, text: string, timeout = WAIT_MS): Promise<void> {
  await page.waitForFunction((t) => [...(globalThis as PageWindow).document.querySelectorAll('#log .line')].some((r: PageWindow) => (r.textContent ?? '').includes(t)), text, { timeout });
}

export const logLines = (page: Page): Promise<string[]> => page.$$eval('#log .line:not(.note)', (rows) => rows.map((r) => r.textContent ?? ''));

/** A full-page screenshot under test-artifacts/console/, checked to be a PNG. */
export async function shot(page: Page, name: string): Promise<string> {
  mkdirSync(SHOTS, { recursive: true });
  const file = join(SHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  const png = readFileSync(file);
  assert.deepEqual([...png.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], `${name} is a PNG`);
  return file;
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's serious and critical violations on the page as it is now (none is the goal). */
export async function axeProblems(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol, not a <script>: the page's CSP is not loosened.
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    const r = await (globalThis as PageWindow).axe.run((globalThis as PageWindow).document, { resultTypes: ['violations'] });
    return r.violations
      .filter((v: PageWindow) => v.impact === 'serious' || v.impact === 'critical')
      .map((v: PageWindow) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n: PageWindow) => n.target.join(' ')).join(' | ')}`);
  });
  return result as string[];
}

/** An octet-counted RFC 5424 frame with a chosen PRI (190 is local7.info, 187 local7.err). */
export function frame(token: string, procid: string, msg: string, pri = 190, time = isoMicros()): string {
  return makeFrame(`<${pri}>1 ${time} host ${token} ${procid} - - ${msg}`);
}

/** Page width at most the viewport: nothing scrolls sideways. */
export async function assertNoSideScroll(page: Page, width: number, what: string): Promise<void> {
  const w = await page.evaluate(() => (globalThis as PageWindow).document.documentElement.scrollWidth as number);
  assert.ok(w <= width, `${what}: the page is ${w} px wide in a ${width} px screen`);
}
