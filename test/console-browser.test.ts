// The console in a real browser (Debian's Chromium, driven by playwright-core): sign in, pick an
// app, read its history, watch new lines arrive live, pause, filter by dyno, and see the stream
// end when the node goes away. Skips with one loud line when chromium is missing (fails under CI).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { requireProgram } from './helpers/external.js';
import { makeFrame, rfc5424, startSluice } from './helpers/sluice.js';

const CHROMIUM = '/usr/bin/chromium';
const WAIT_MS = 10_000;
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const dirs: string[] = [];
let context: BrowserContext | undefined;
let receiver: http.Server | undefined;

after(async () => {
  // Bounded: a wedged browser must not hold the run; the harness kills sluice itself.
  if (context) await Promise.race([context.close().catch(() => {}), new Promise((r) => setTimeout(r, 10_000).unref())]);
  if (receiver) await new Promise<void>((r) => receiver!.close(() => r()));
  for (const d of dirs) {
    if (process.env.SLUICE_KEEP_SCREENSHOT === '1' && d.includes('sluice-console-shot-')) continue;
    rmSync(d, { recursive: true, force: true });
  }
});

function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

/** An HTTP drain endpoint that accepts everything, so one drain shows `delivering`. */
async function startReceiver(): Promise<number> {
  receiver = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  });
  await new Promise<void>((r) => receiver!.listen(0, '127.0.0.1', () => r()));
  return (receiver.address() as net.AddressInfo).port;
}

/** A port nothing listens on (so the second drain shows retrying, with a last error). */
async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** What the page functions below touch; the main build has no DOM types (lib: ES2023). */
interface PageGlobals {
  document: {
    querySelectorAll(sel: string): Iterable<{ textContent: string | null }>;
    getElementById(id: string): { dataset: Record<string, string | undefined> } | null;
  };
  sessionStorage: { getItem(k: string): string | null };
  localStorage: { length: number };
}

const logLines = (page: Page): Promise<string[]> =>
  page.$$eval('#log .line:not(.note)', (rows) => rows.map((r) => r.textContent ?? ''));

/** Waits (bounded) until a log line containing `text` is on screen. */
async function seeLine(page: Page, text: string): Promise<void> {
  await page.waitForFunction(
    (t) => [...(globalThis as unknown as PageGlobals).document.querySelectorAll('#log .line')].some((r) => (r.textContent ?? '').includes(t)),
    text,
    { timeout: WAIT_MS },
  );
}

test('the console signs in, shows drains, history and live lines, pauses and filters', { timeout: 120_000 }, async (t) => {
  if (!requireProgram(t, CHROMIUM)) return;
  const sluice = await startSluice();
  const app = 'console-demo';
  const token = await sluice.createAppWithToken(app);
  assert.equal((await sluice.api('POST', '/apps', { name: 'billing-api' })).status, 201);
  const good = await sluice.api('POST', `/apps/${app}/log-drains`, { url: `http://user:drain-pass@127.0.0.1:${await startReceiver()}/logs` });
  assert.equal(good.status, 201, JSON.stringify(good.body));
  const bad = await sluice.api('POST', `/apps/${app}/log-drains`, { url: `syslog://127.0.0.1:${await closedPort()}` });
  assert.equal(bad.status, 201, JSON.stringify(bad.body));

  const post = async (msgs: [string, string][]): Promise<void> => {
    const r = await sluice.postLogs(token, msgs.map(([dyno, msg]) => makeFrame(rfc5424(token, dyno, msg))));
    assert.equal(r.status, 204, String(r.body));
  };
  await post([
    ['web.1', 'history: GET / 200 in 12ms'],
    ['worker.1', 'history: job 42 done'],
    ['router', 'at=info method=GET path="/" host=console-demo.example.com status=200'],
    ['web.2', 'history: booted on port 5000'],
  ]);
  await sluice.waitForLogs(app, (l) => l.some((x) => x.includes('booted on port 5000')));

  context = await chromium.launchPersistentContext(tempDir('sluice-chromium-'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 900 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(WAIT_MS);
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    // A CSP violation shows up here as an error; so would a broken module.
    if (m.type() === 'error' && !/status of 401/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  const requested: { url: string; auth: string | undefined }[] = [];
  page.on('request', (r) => requested.push({ url: r.url(), auth: r.headers().authorization }));

  // A wrong key first: told plainly, and still on the sign-in form.
  const res = await page.goto(`${sluice.url}/console`);
  assert.equal(res?.status(), 200);
  await page.getByLabel('API key', { exact: true }).fill('sk_wrong_key');
  await page.getByRole('button', { name: 'Use this key' }).click();
  await page.locator('#login-error', { hasText: 'That key was refused.' }).waitFor();

  // The right key: the apps this key may see.
  await page.getByLabel('API key', { exact: true }).fill(sluice.apiKey);
  await page.keyboard.press('Enter'); // keyboard-usable: Enter submits the form
  await page.locator('#apps-list button', { hasText: app }).waitFor();
  await page.locator('#apps-list button', { hasText: 'billing-api' }).waitFor();
  assert.equal(await page.evaluate(() => (globalThis as unknown as PageGlobals).sessionStorage.getItem('sluice.apiKey')), sluice.apiKey);
  assert.equal(await page.evaluate(() => (globalThis as unknown as PageGlobals).localStorage.length), 0, 'the key is not kept beyond the tab');

  // Pick the app: history, then a live stream.
  await page.locator('#apps-list button', { hasText: app }).click();
  await page.locator('#app-title', { hasText: app }).waitFor();
  await seeLine(page, 'history: GET / 200 in 12ms');
  await seeLine(page, 'history: booted on port 5000');
  await page.locator('#stream-state[data-state="live"]').waitFor();
  const web = page.locator('#log .line', { hasText: 'history: GET / 200' }).locator('.head');
  const worker = page.locator('#log .line', { hasText: 'history: job 42' }).locator('.head');
  assert.equal(await web.textContent(), 'app[web.1]:');
  assert.notEqual(await web.getAttribute('class'), await worker.getAttribute('class'), 'web and worker lines differ in colour');

  // Drains with their health, and the (empty) add-ons.
  await page.locator('#drains tbody tr').nth(1).waitFor();
  const drainRows = await page.$$eval('#drains tbody tr', (rows) => rows.map((r) => r.textContent ?? ''));
  assert.equal(drainRows.length, 2);
  assert.ok(drainRows.some((r) => r.includes('user:***@127.0.0.1')), `the drain password is masked: ${drainRows.join(' | ')}`);
  assert.ok(!drainRows.join(' ').includes('drain-pass'), 'the drain password is not on screen');
  for (const pill of await page.$$eval('#drains .pill', (p) => p.map((x) => x.textContent))) {
    assert.ok(['delivering', 'retrying', 'failing'].includes(String(pill)), String(pill));
  }
  await page.locator('#addons-msg', { hasText: 'No add-ons.' }).waitFor();

  // Live: lines posted now appear without reloading.
  await post([['web.1', 'live: first new line'], ['worker.2', 'live: second new line']]);
  await seeLine(page, 'live: first new line');
  await seeLine(page, 'live: second new line');

  // Pause holds new lines back (and says so); resume shows them.
  await page.getByRole('button', { name: 'Pause' }).click();
  assert.equal(await page.locator('#pause').getAttribute('aria-pressed'), 'true');
  await post([['web.1', 'live: arrived while paused']]);
  await page.locator('#held', { hasText: '1 new lines held' }).waitFor();
  assert.ok(!(await logLines(page)).some((l) => l.includes('arrived while paused')));
  await page.getByRole('button', { name: 'Resume' }).click();
  await seeLine(page, 'live: arrived while paused');

  // A dyno filter opens a new session: only web lines, history and live.
  await page.getByLabel('Dyno').fill('web');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.locator('#log .note', { hasText: 'dyno=web' }).waitFor();
  await seeLine(page, 'history: booted on port 5000');
  await page.locator('#stream-state[data-state="live"]').waitFor();
  await post([['worker.1', 'filtered: worker line'], ['web.3', 'filtered: web line']]);
  await seeLine(page, 'filtered: web line');
  const shown = await logLines(page);
  assert.ok(shown.length > 0);
  for (const line of shown) assert.match(line, /app\[web\.\d+\]: /, `only web lines after the filter: ${line}`);

  // The key travelled only in headers, never in a URL; the session stream needed none.
  for (const r of requested) assert.ok(!r.url.includes(sluice.apiKey), `the key is in a URL: ${r.url}`);
  assert.ok(requested.some((r) => r.url.endsWith('/apps') && r.auth === `Bearer ${sluice.apiKey}`));
  assert.ok(requested.some((r) => r.url.includes('/sessions/') && r.auth === undefined));
  assert.ok(!sluice.output().includes(sluice.apiKey), 'the key is not in the server log');

  // A screenshot, for people (and to prove the page renders).
  const shotDir = tempDir('sluice-console-shot-');
  const shot = join(shotDir, 'console.png');
  await page.screenshot({ path: shot, fullPage: true });
  const png = readFileSync(shot);
  assert.ok(png.length > 1000, `screenshot is ${png.length} bytes`);
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG');
  t.diagnostic(`screenshot: ${shot}${process.env.SLUICE_KEEP_SCREENSHOT === '1' ? '' : ' (removed after the run; SLUICE_KEEP_SCREENSHOT=1 keeps it)'}`);

  // Checked before the node goes away: after that, refused connections are expected errors.
  assert.deepEqual(problems, [], 'no script errors and no CSP violations in the page');

  // The node goes away: the console says the stream ended and that it is reconnecting.
  await sluice.stop();
  await page.waitForFunction(
    () =>
      ['reconnecting', 'ended'].includes(
        (globalThis as unknown as PageGlobals).document.getElementById('stream-state')?.dataset.state ?? '',
      ),
    undefined,
    { timeout: WAIT_MS },
  );
  assert.match((await page.locator('#stream-state').textContent()) ?? '', /reconnecting/);
  if (process.env.SLUICE_KEEP_SCREENSHOT === '1') await page.screenshot({ path: join(shotDir, 'console-ended.png') });

  // It comes back on the same port with the same data: the old session is gone (404), so the
  // console opens a new one by itself, and the history it replays is not shown twice.
  const again = await startSluice({ dataDir: sluice.dataDir, apiKey: sluice.apiKey, args: ['--http-port', String(sluice.httpPort)] });
  assert.equal(again.httpPort, sluice.httpPort);
  await page.locator('#stream-state[data-state="live"]').waitFor({ timeout: 20_000 });
  const r = await again.postLogs(token, [makeFrame(rfc5424(token, 'web.1', 'after restart: back again'))]);
  assert.equal(r.status, 204);
  await seeLine(page, 'after restart: back again');
  const after = await logLines(page);
  assert.equal(after.filter((l) => l.includes('filtered: web line')).length, 1, `no line twice:\n${after.join('\n')}`);
  assert.equal(after.filter((l) => l.includes('booted on port 5000')).length, 1);
});
