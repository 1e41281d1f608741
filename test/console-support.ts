// What the console's browser tests share: launching Debian's Chromium through playwright-core at
// a desktop or a phone size, collecting page errors, the checks every view gets (no sideways
// scroll, labels tied to inputs, every control reachable with Tab, axe-core injected through the
// debugger so the page's CSP stays on, a full-page screenshot under test-artifacts/console/),
// and frames with a chosen PRI.
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

/** A screen the console is tried at; `name` prefixes its screenshots. */
export interface ViewSize {
  name: string;
  width: number;
  height: number;
  /** A phone: meta viewport honoured, touch events on. */
  mobile: boolean;
}
export const DESKTOP: ViewSize = { name: 'desktop', width: 1280, height: 800, mobile: false };
export const PHONE: ViewSize = { name: 'phone', width: 390, height: 844, mobile: true };

export async function openBrowser(size: ViewSize, timezoneId = 'UTC'): Promise<Browser> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-chromium-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: size.width, height: size.height },
    isMobile: size.mobile,
    hasTouch: size.mobile,
    timezoneId,
    acceptDownloads: true,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(WAIT_MS);
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  // A CSP violation shows up as a console error; so would a broken module. A refused key (401)
  // and the node going away (in the restart test, after the check) are expected.
  page.on('console', (m) => {
    // The console asks once whether the node has telemetry drains; a 404 there hides the panel.
    const probe = m.location().url.endsWith('/telemetry-drains') && /status of 404/.test(m.text());
    if (m.type() === 'error' && !/status of 401/.test(m.text()) && !probe) problems.push(`console: ${m.text()} (${m.location().url})`);
  });
  // What a refused call said, so a failure names the reason and not only the status.
  page.on('response', (r) => {
    if (r.status() >= 400 && r.status() !== 401 && r.status() !== 404) void r.text().then((b) => problems.push(`${r.request().method()} ${r.url()} → ${r.status()}: ${b.slice(0, 200)}`), () => {});
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

let announced = false;

/** A full-page screenshot under test-artifacts/console/, checked to be a PNG. */
export async function shot(page: Page, name: string): Promise<string> {
  mkdirSync(SHOTS, { recursive: true });
  if (!announced) {
    announced = true;
    process.stdout.write(`console screenshots: ${SHOTS}\n`);
  }
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
  // Once per document: the console is one page, so later views reuse it.
  if (!(await page.evaluate(() => typeof (globalThis as PageWindow).axe === 'object'))) await page.evaluate(axeSource);
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

/** Visible inputs, selects and text areas with no label tied to them (`for`, wrapping, or aria). */
export async function unlabelled(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const doc = (globalThis as PageWindow).document;
    const out: string[] = [];
    for (const e of doc.querySelectorAll('input, select, textarea')) {
      if (e.type === 'hidden' || e.getClientRects().length === 0) continue;
      const named = e.labels?.length > 0 || e.getAttribute('aria-label') || e.getAttribute('aria-labelledby');
      if (!named) out.push(`${e.tagName.toLowerCase()}#${e.id || '?'}`);
    }
    for (const l of doc.querySelectorAll('label[for]')) if (!doc.getElementById(l.htmlFor)) out.push(`label for missing #${l.htmlFor}`);
    return out;
  });
}

/**
 * Controls on screen that pressing Tab never reaches: every visible link, button, field and
 * `tabindex` element is listed, focus starts at the first one and Tab is pressed once per
 * control (and twice more); each focus is recorded in the page. Returns what was never focused.
 */
export async function unreachable(page: Page): Promise<string[]> {
  const count = await page.evaluate(() => {
    const w = globalThis as PageWindow;
    const els = [...w.document.querySelectorAll('a[href], button, input, select, textarea, [tabindex]')].filter(
      (e: PageWindow) => e.tabIndex >= 0 && !e.disabled && e.getClientRects().length > 0 && w.getComputedStyle(e).visibility !== 'hidden' && !e.closest('[hidden], [inert]'),
    );
    w.__kb = { els, seen: new Set() };
    if (!w.__kbListening) {
      w.__kbListening = true;
      w.document.addEventListener('focusin', (ev: PageWindow) => w.__kb.seen.add(w.__kb.els.indexOf(ev.target)), true);
    }
    els[0]?.focus();
    return els.length;
  });
  for (let i = 0; i < count + 2; i++) await page.keyboard.press('Tab');
  return page.evaluate(() => {
    const kb = (globalThis as PageWindow).__kb;
    return kb.els
      .filter((_: unknown, i: number) => !kb.seen.has(i))
      .map((e: PageWindow) => `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''} “${(e.textContent || e.getAttribute('aria-label') || '').trim().slice(0, 40)}”`);
  });
}

/**
 * What every view of the console gets: nothing scrolls sideways, each field has its label, Tab
 * reaches every control, axe finds nothing serious (when `axe`), and a full-page screenshot
 * named `<size>-<view>.png`. Returns the screenshot's path.
 */
export async function checkView(page: Page, size: ViewSize, view: string, opts: { axe?: boolean; keyboard?: boolean } = {}): Promise<string> {
  await assertNoSideScroll(page, size.width, `${size.name} ${view}`);
  assert.deepEqual(await unlabelled(page), [], `${size.name} ${view}: fields without a label`);
  if (opts.keyboard !== false) assert.deepEqual(await unreachable(page), [], `${size.name} ${view}: controls Tab never reaches`);
  if (opts.axe) assert.deepEqual(await axeProblems(page), [], `${size.name} ${view}: axe`);
  return shot(page, `${size.name}-${view}`);
}
