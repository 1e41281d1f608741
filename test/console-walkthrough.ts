// The console walkthrough the browser tests run at each screen size against a real `sluice serve`:
// sign-in, reading (search over history and tail with highlight, severity, times, pick-lists,
// wrap, copy by keyboard, permalink, download, pause, "N new lines"), the live chart's numbers,
// empty states, and managing apps, tokens (one used by curl), drains (added, tested, removed),
// telemetry drains (to an OTLP receiver), add-ons and API keys; then the node goes away and
// comes back. Every view gets checkView (no sideways scroll, labels, Tab, screenshot), most axe.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';
import { startFakePartner, type FakePartner } from './addons-fake-partner.js';
import { checkView, frame, logLines, openBrowser, seeLine, WAIT_MS, type Browser, type PageWindow, type ViewSize } from './console-support.js';
import { startSluice, waitUntil } from './helpers/sluice.js';
import { otlpHttpReceiver, type OtlpHttpReceiver } from './otel-receiver.js';

/** What a walkthrough started and must stop (the test file's `after` calls `close`). */
export class Leftovers {
  browser: Browser | undefined;
  partner: FakePartner | undefined;
  otlp: OtlpHttpReceiver | undefined;
  servers: http.Server[] = [];

  async close(): Promise<void> {
    await this.browser?.close();
    await this.partner?.close();
    await this.otlp?.close();
    for (const s of this.servers) {
      s.closeAllConnections(); // the node's drains keep connections open
      await new Promise<void>((r) => s.close(() => r()));
    }
  }

  /** An HTTP drain endpoint that accepts everything, so a drain shows `delivering`. */
  async receiver(): Promise<number> {
    const s = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(204).end());
    });
    this.servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    return (s.address() as net.AddressInfo).port;
  }
}

async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Prints how long each part took (a report for whoever keeps the suite fast, never asserted). */
function phases(t: TestContext, size: ViewSize): (name: string) => void {
  let at = Date.now();
  return (name) => {
    t.diagnostic(`${size.name} ${name}: ${((Date.now() - at) / 1000).toFixed(1)} s`);
    at = Date.now();
  };
}

export async function walkthrough(t: TestContext, size: ViewSize, left: Leftovers): Promise<void> {
  const phase = phases(t, size);
  const view = (name: string, opts?: { axe?: boolean; keyboard?: boolean }): Promise<string> => checkView(page, size, name, opts);
  const sluice = await startSluice();
  const app = 'console-demo';
  const token = await sluice.createAppWithToken(app);
  const jobs = await sluice.api('POST', `/apps/${app}/log-tokens`, { name: 'jobs' });
  assert.equal(jobs.status, 201);
  const good = await sluice.api('POST', `/apps/${app}/log-drains`, { url: `http://user:drain-pass@127.0.0.1:${await left.receiver()}/logs` });
  assert.equal(good.status, 201, JSON.stringify(good.body));
  assert.equal((await sluice.api('POST', `/apps/${app}/log-drains`, { url: `syslog://127.0.0.1:${await closedPort()}` })).status, 201);
  const post = async (tok: string, frames: string[]): Promise<void> => {
    const r = await sluice.postLogs(tok, frames);
    assert.equal(r.status, 204, String(r.body));
  };

  // History: 1,200 lines; the needle is sent 1,100 lines before the newest, as an error (PRI 187),
  // in the micro-second +00:00 form; the rest mix `Z` times, warnings and dynos.
  const history: string[] = [];
  for (let i = 0; i < 1200; i++) {
    const dyno = ['web.1', 'web.2', 'worker.1', 'router'][i % 4];
    if (i === 100) history.push(frame(token, 'web.1', 'ERROR: Needle-7781 payment declined', 187, '2026-01-01T12:00:27.643000+00:00'));
    else history.push(frame(i % 7 === 0 ? String(jobs.body.token) : token, dyno, `history line ${i}`, i % 50 === 0 ? 188 : 190, new Date(Date.UTC(2026, 0, 1, 12, 0, 30) + i * 10).toISOString()));
  }
  // Lines take their source from the token they were sent with: jobs' lines go in their own posts.
  const jobsToken = String(jobs.body.token);
  for (let i = 0; i < history.length; i += 300) {
    const chunk = history.slice(i, i + 300);
    await post(token, chunk.filter((f) => !f.includes(jobsToken) && !f.endsWith('line 1199')));
    await post(jobsToken, chunk.filter((f) => f.includes(jobsToken)));
  }
  await post(token, history.slice(-1));
  await sluice.waitForLogs(app, (l) => l.some((x) => x.endsWith('history line 1199')), { lines: 1 });
  phase('node and history');

  const browser = (left.browser = await openBrowser(size, 'Asia/Kolkata'));
  const { page, context, problems } = browser;
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: sluice.url });
  const sessionBodies: Record<string, unknown>[] = [];
  const requested: { url: string; auth: string | undefined }[] = [];
  page.on('request', (r) => {
    requested.push({ url: r.url(), auth: r.headers().authorization });
    if (r.method() === 'POST' && r.url().endsWith(`/apps/${app}/log-sessions`)) sessionBodies.push(JSON.parse(r.postData() ?? '{}'));
  });

  // A wrong key is told plainly; the right one is kept in this tab only.
  await page.goto(`${sluice.url}/console`);
  await page.getByLabel('API key', { exact: true }).fill('sk_wrong_key');
  await page.getByRole('button', { name: 'Use this key' }).click();
  await page.locator('#login-error', { hasText: 'That key was refused.' }).waitFor();
  await view('sign-in', { axe: true });
  // The right key in the same page (no reload): the form takes a second try.
  await page.getByLabel('API key', { exact: true }).fill(sluice.apiKey);
  await page.keyboard.press('Enter');
  await page.locator('#workspace').waitFor();
  assert.equal(await page.evaluate(() => (globalThis as PageWindow).sessionStorage.getItem('sluice.apiKey')), sluice.apiKey);
  assert.equal(await page.evaluate(() => (globalThis as PageWindow).localStorage.length), 0);
  phase('sign-in');

  // Open the app: the newest history, a live stream, one time format whatever the sender wrote.
  await page.locator('#apps-list a', { hasText: app }).click();
  await seeLine(page, 'history line 1199');
  await page.locator('#stream-state[data-state="live"]').waitFor();
  const times = await page.$$eval('#log .line .time', (ts) => ts.map((x) => x.textContent ?? ''));
  assert.ok(times.length >= 100);
  for (const tm of times) assert.match(tm, /^2026-01-01 12:00:\d\d\.\d{3}Z$/, 'UTC, one shape');
  await page.getByLabel('Times').selectOption('local');
  assert.match((await page.locator('#log .line .time').last().textContent()) ?? '', /^2026-01-01 17:3\d:\d\d\.\d{3} $/, 'local time in Kolkata (+05:30)');
  await page.getByLabel('Times').selectOption('utc');

  // Pick-lists hold what the app sent.
  const opts = async (id: string): Promise<string[]> => page.$$eval(`#${id} option`, (o) => o.map((x) => (x as unknown as { value: string }).value));
  assert.deepEqual(await opts('f-source'), ['', 'app', 'jobs']);
  for (const d of ['router', 'web', 'web.1', 'web.2', 'worker', 'worker.1']) assert.ok((await opts('f-dyno')).includes(d), d);
  const warn = page.locator('#log .line:not(.note)', { hasText: 'history line 1150' });
  assert.equal(await warn.getAttribute('data-sev'), '4');
  assert.equal(await warn.locator('.sev').textContent(), 'WARN');

  // Search: the line sent 1,100 lines ago, found on the node (only it comes back), highlighted.
  await page.getByLabel('Search', { exact: true }).fill('needle-7781');
  await page.keyboard.press('Enter');
  await seeLine(page, 'Needle-7781 payment declined');
  assert.equal(sessionBodies.at(-1)?.search, 'needle-7781', 'the search went to the node');
  assert.equal(sessionBodies.at(-1)?.lines, 1500);
  assert.deepEqual(await logLines(page), ['2026-01-01 12:00:27.643ZERRapp[web.1]: ERROR: Needle-7781 payment declined']);
  assert.equal(await page.locator('#log mark').textContent(), 'Needle-7781');
  const needle = page.locator('#log .line:not(.note)', { hasText: 'Needle-7781 payment' });
  assert.equal(await needle.getAttribute('data-sev'), '3');
  // The live tail is searched too.
  await post(token, [frame(token, 'web.2', 'live: needle-7781 again'), frame(token, 'web.2', 'live: something else')]);
  await seeLine(page, 'live: needle-7781 again');
  assert.equal((await logLines(page)).length, 2);
  await view('logs-search');
  phase('times, pick-lists, search');

  // Copy a line with the keyboard alone (arrow keys pick, Tab reaches the action), and a
  // permalink that opens on that line.
  await page.locator('#log').focus();
  await page.keyboard.press('ArrowUp'); // the newest line
  await page.keyboard.press('ArrowUp'); // the needle, above it
  await page.locator('#log .line.selected', { hasText: 'Needle-7781 payment' }).waitFor();
  const focused = (): Promise<string> => page.evaluate(() => String((globalThis as PageWindow).document.activeElement?.id));
  await page.keyboard.press('Tab');
  assert.equal(await focused(), 'jump', 'a picked line stops following: "Jump to latest" comes first');
  await page.keyboard.press('Tab');
  assert.equal(await focused(), 'copy-line', 'then the picked line\'s actions');
  await page.keyboard.press('Enter');
  await page.locator('#sel-status', { hasText: 'Line copied.' }).waitFor();
  assert.equal(await page.evaluate(() => (globalThis as PageWindow).navigator.clipboard.readText()), '2026-01-01T12:00:27.643000+00:00 app[web.1]: ERROR: Needle-7781 payment declined');
  await page.getByRole('button', { name: 'Copy link to line' }).click();
  await page.locator('#sel-status', { hasText: 'Link copied.' }).waitFor();
  const link = String(await page.evaluate(() => (globalThis as PageWindow).navigator.clipboard.readText()));
  assert.match(link, new RegExp(`^${sluice.url}/console#/apps/${app}/logs\\?at=`));
  const second = await context.newPage();
  await second.goto(link);
  // A new tab has no key (sessionStorage is per tab): sign in, and the link still opens the line.
  await second.getByLabel('API key', { exact: true }).fill(sluice.apiKey);
  await second.keyboard.press('Enter');
  await second.locator('#log .line.selected', { hasText: 'Needle-7781 payment declined' }).waitFor();
  await second.close();
  phase('copy and permalink');

  // Severity filter and empty states.
  await page.getByLabel('Search', { exact: true }).fill('');
  await page.keyboard.press('Enter');
  await seeLine(page, 'history line 1199');
  await page.getByLabel('Severity').selectOption('4');
  const visible = await page.$$eval('#log .line:not(.note)', (rows) => rows.filter((r) => (r as unknown as { offsetParent: unknown }).offsetParent !== null).map((r) => r.getAttribute('data-sev')));
  assert.ok(visible.length > 0 && visible.every((s) => Number(s) <= 4), `only warnings and worse: ${visible.join(',')}`);
  await page.getByLabel('Severity').selectOption('7');
  await page.getByLabel('Search', { exact: true }).fill('no such text anywhere');
  await page.keyboard.press('Enter');
  await page.locator('#log-empty', { hasText: 'No line in the history matches “no such text anywhere”' }).waitFor();
  await page.getByLabel('Search', { exact: true }).fill('');
  await page.keyboard.press('Enter');

  // A dyno picked from the list: only worker lines, from the node.
  await page.getByLabel('Dyno').selectOption('worker');
  await page.locator('#stream-state[data-state="live"]').waitFor();
  await seeLine(page, 'history line 1198');
  for (const line of await logLines(page)) assert.match(line, /(app|jobs)\[worker\.1\]: /, line);
  assert.equal(sessionBodies.at(-1)?.dyno, 'worker');
  await page.getByLabel('Dyno').selectOption('');
  await seeLine(page, 'history line 1199');

  // Wrap toggle; download what is shown.
  await page.getByRole('button', { name: 'Wrap lines' }).click();
  assert.equal(await page.locator('#log.wrap').count(), 0);
  await view('logs-nowrap', { keyboard: false });
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download shown' }).click()]);
  const saved = readFileSync(String(await download.path()), 'utf8').trim().split('\n');
  assert.equal(saved.length, (await logLines(page)).length);
  assert.match(saved.at(-1) ?? '', /^\S+ app\[web\.2\]: live: something else$/, 'as `sluice logs` prints it');
  assert.ok(saved.includes('2026-01-01T12:00:41.990Z app[router]: history line 1199'));
  await page.getByRole('button', { name: 'Wrap lines' }).click();

  // Pause says paused (not live) and holds lines; scrolled up, "N new lines" counts arrivals.
  await page.getByRole('button', { name: 'Pause' }).click();
  await page.locator('#stream-state[data-state="paused"]', { hasText: 'paused' }).waitFor();
  await post(token, [frame(token, 'web.1', 'live: arrived while paused')]);
  await page.locator('#held', { hasText: '1 new lines held' }).waitFor();
  assert.ok(!(await logLines(page)).some((l) => l.includes('arrived while paused')));
  await page.getByRole('button', { name: 'Resume' }).click();
  await seeLine(page, 'live: arrived while paused');
  await page.locator('#log').evaluate((b) => ((b as unknown as { scrollTop: number }).scrollTop = 0));
  await page.locator('#jump').waitFor();
  await post(token, [1, 2, 3, 4, 5].map((i) => frame(token, 'web.1', `live: unseen ${i}`)));
  // At least those 5 (a failing drain may add its own notice to the app's log meanwhile).
  await page.waitForFunction(() => Number(/^(\d+) new lines ↓$/.exec((globalThis as PageWindow).document.getElementById('jump')?.textContent ?? '')?.[1] ?? 0) >= 5);
  await page.locator('#jump').click();
  await page.locator('#jump').waitFor({ state: 'hidden' });
  phase('severity, filters, wrap, download, pause');

  // The chart counts every line sent since the app was opened, by source: 8 live lines so far
  // (2 searched, 1 while paused, 5 while scrolled up), 40 more now, and 15 from the jobs token.
  await post(token, Array.from({ length: 40 }, (_, i) => frame(token, 'web.1', `chart ${i}`)));
  await post(jobsToken, Array.from({ length: 15 }, (_, i) => frame(jobsToken, 'worker.1', `chart job ${i}`)));
  const total = (src: string): Promise<string | null> => page.locator(`#rate-legend tr[data-source="${src}"] [data-total]`).getAttribute('data-total');
  await page.locator('#rate-legend tr[data-source="jobs"] [data-total="15"]').waitFor();
  await page.locator('#rate-legend tr[data-source="app"] [data-total="48"]').waitFor();
  assert.deepEqual([await total('app'), await total('jobs')], ['48', '15']);
  assert.equal(await page.locator('#rate-legend tr[data-source="app"] [data-minute]').getAttribute('data-minute'), '48', 'all within the last minute');
  assert.ok(await page.locator('#rate svg polyline[data-name="app"]').count(), 'a line for the app source');
  await view('logs', { axe: true });
  phase('chart');

  // Drains: health, add, test inline, remove; passwords masked.
  await page.locator('.tabs a', { hasText: 'Drains' }).click();
  await page.locator('#drains-list .drain').nth(1).waitFor();
  const cards = await page.$$eval('#drains-list .drain', (c) => c.map((x) => x.textContent ?? ''));
  assert.ok(cards.some((c) => c.includes('user:***@127.0.0.1')) && !cards.join('').includes('drain-pass'));
  await page.getByLabel('Drain URL').fill(`http://127.0.0.1:${await left.receiver()}/added`);
  await page.getByRole('button', { name: 'Add drain' }).click();
  const added = page.locator('#drains-list .drain', { hasText: '/added' });
  await added.waitFor();
  await added.getByRole('button', { name: 'Send a test line' }).click();
  await added.locator('.test-result.ok', { hasText: 'Test line delivered: connected, HTTP 204' }).waitFor();
  const failing = page.locator('#drains-list .drain', { hasText: 'syslog://' });
  await failing.getByRole('button', { name: 'Send a test line' }).click();
  await failing.locator('.test-result.bad', { hasText: 'Test failed' }).waitFor();
  await page.locator('#drains-list .drain .drain-chart svg').first().waitFor({ timeout: 15_000 });
  await view('drains', { axe: true });
  await added.getByRole('button', { name: 'Remove' }).click();
  await added.getByRole('button', { name: 'Remove this drain' }).click();
  await added.waitFor({ state: 'detached' });
  assert.equal((await sluice.api('GET', `/apps/${app}/log-drains`)).body.length, 2);
  phase('drains');

  // Apps and tokens: create an app here (it opens on Tokens); it is empty and says what to do; a token shown once,
  // used by curl, and the line shows.
  await page.getByLabel('New app name').fill('billing-api');
  await page.getByRole('button', { name: 'Create app' }).click();
  await page.locator('#app-title', { hasText: 'billing-api' }).waitFor();
  await page.locator('#tokens-list [data-token="app"]').waitFor(); // every app starts with an `app` token
  await page.locator('.tabs a', { hasText: 'Logs' }).click();
  await page.locator('#log-empty', { hasText: 'No lines yet' }).waitFor();
  await page.locator('#rate', { hasText: 'No lines since this chart opened' }).waitFor();
  await view('logs-empty');
  await page.locator('.tabs a', { hasText: 'Drains' }).click();
  await page.locator('#drains-msg', { hasText: 'No drains yet' }).waitFor();
  await page.locator('.tabs a', { hasText: 'Tokens' }).click();
  await page.getByLabel('Token name (becomes the lines\' source)').fill('web');
  await page.getByRole('button', { name: 'Create token' }).click();
  const secret = String(await page.locator('#token-created .secret-value').textContent());
  assert.match(secret, /^t\./);
  await page.locator('#tokens-list [data-token="web"]').waitFor();
  assert.ok(!(await page.locator('#tokens-list').textContent())?.includes(secret), 'the list does not repeat the secret');
  await view('tokens', { axe: true });
  await page.locator('.tabs a', { hasText: 'Logs' }).click();
  await seeLine(page, 'Log token "web" created'); // what the API did is in the app's log
  await page.locator('#stream-state[data-state="live"]').waitFor();
  const body = `<190>1 ${new Date().toISOString()} host app web.1 - - Hello from curl in the console test`;
  await promisify(execFile)('curl', ['-sS', '-f', '-u', `token:${secret}`, '-H', 'Content-Type: application/logplex-1', '--data-binary', `${Buffer.byteLength(body)} ${body}`, `${sluice.url}/logs`]);
  await seeLine(page, 'Hello from curl in the console test');
  assert.match((await logLines(page)).at(-1) ?? '', /web\[web\.1\]: Hello from curl/);
  phase('apps, empty states, tokens, curl');

  // Add-ons: a registered partner's plan, created and destroyed here.
  left.partner = await startFakePartner('fake-logs', 'partner-pass-0123456789');
  assert.equal((await sluice.api('POST', '/addon-services', left.partner.manifest({ requires: [], plans: ['basic'] }))).status, 201);
  await page.locator('.tabs a', { hasText: 'Add-ons' }).click();
  await page.locator('#addons-msg', { hasText: 'No add-ons yet' }).waitFor();
  await page.getByLabel('Plan (service:plan)').fill('fake-logs:basic');
  await page.getByRole('button', { name: 'Create add-on' }).click();
  const addon = page.locator('#addons-list .item').first();
  await addon.waitFor();
  await view('addons', { axe: true });
  await addon.getByRole('button', { name: 'Destroy' }).click();
  await addon.getByRole('button', { name: /^Destroy fake-logs/ }).click();
  await page.locator('#addons-msg', { hasText: 'Destroyed' }).waitFor();

  // Telemetry drains against the node's /telemetry-drains: one added (otlphttp, to an OTLP
  // receiver started here that decodes what it gets), listed with its health, the app's lines
  // arriving at the receiver and counted as delivered, a test sent, removed after confirming.
  const otlp = (left.otlp = await otlpHttpReceiver());
  await page.locator('.tabs a', { hasText: 'Drains' }).click();
  await page.locator('#drains-msg', { hasText: 'No drains yet' }).waitFor();
  await page.locator('#telemetry-msg', { hasText: 'No telemetry drains' }).waitFor();
  await page.getByLabel('Endpoint URL').fill(`http://127.0.0.1:${otlp.port}`);
  await page.getByLabel('Protocol').selectOption('otlphttp');
  await page.getByRole('button', { name: 'Add telemetry drain' }).click();
  await page.locator('#telemetry-msg', { hasText: 'Telemetry drain added.' }).waitFor();
  const td = page.locator('#telemetry-list .item', { hasText: `127.0.0.1:${otlp.port}` });
  await td.waitFor();
  assert.match((await td.textContent()) ?? '', /otlphttp · logs/);
  const listed = await sluice.api('GET', '/apps/billing-api/telemetry-drains');
  assert.equal(listed.body.length, 1);
  assert.equal(listed.body[0].exporter.type, 'otlphttp');
  await post(secret, [1, 2, 3].map((i) => frame(secret, 'web.1', `to the collector ${i}`)));
  assert.ok(await waitUntil(() => otlp.records().filter((r) => r.body?.startsWith('to the collector')).length === 3, WAIT_MS), 'the app\'s lines reach the OTLP receiver');
  assert.ok(otlp.records().every((r) => r.serviceName === 'billing-api'), 'as the app\'s service');
  // The health the panel shows is the API's, read again every few seconds.
  await td.locator('.pill.delivering').waitFor({ timeout: 15_000 });
  await page.waitForFunction((port) => {
    const card = [...(globalThis as PageWindow).document.querySelectorAll('#telemetry-list .item')].find((c: PageWindow) => c.textContent.includes(`127.0.0.1:${port}`));
    return Number(card?.querySelector('[data-stat="delivered"]')?.textContent?.replace(/,/g, '') ?? 0) >= 3;
  }, otlp.port, { timeout: 15_000 });
  const health = (await sluice.api('GET', `/telemetry-drains/${String(listed.body[0].id)}`)).body.health;
  assert.equal(health.state, 'delivering');
  assert.ok(health.delivered >= 3, JSON.stringify(health));
  await td.getByRole('button', { name: 'Send a test' }).click();
  await td.locator('.test-result.ok', { hasText: 'Test delivered' }).waitFor();
  await view('telemetry', { axe: true });
  await td.getByRole('button', { name: 'Remove', exact: true }).click();
  assert.equal((await sluice.api('GET', '/apps/billing-api/telemetry-drains')).body.length, 1, 'not removed before confirming');
  await td.getByRole('button', { name: 'Remove this telemetry drain' }).click();
  await td.waitFor({ state: 'detached' });
  await page.locator('#telemetry-msg', { hasText: 'Telemetry drain removed.' }).waitFor();
  assert.equal((await sluice.api('GET', '/apps/billing-api/telemetry-drains')).body.length, 0);
  phase('add-ons, telemetry drains');

  // API keys: one limited to an app, shown once, then revoked.
  await page.getByRole('link', { name: 'API keys' }).click();
  await page.getByLabel('Name', { exact: true }).fill('ci-bot');
  await page.getByLabel(app).check();
  await page.getByRole('button', { name: 'Create key' }).click();
  const limited = String(await page.locator('#key-created .secret-value').textContent());
  assert.match(limited, /^sk_/);
  await page.locator('#keys-list [data-key="ci-bot"]', { hasText: `apps: ${app}` }).waitFor();
  const seen = await fetch(`${sluice.url}/apps`, { headers: { Authorization: `Bearer ${limited}` } }).then((r) => r.json() as Promise<{ name: string }[]>);
  assert.deepEqual(seen.map((a) => a.name), [app], 'the new key sees only its app');
  await view('keys', { axe: true });
  await page.locator('#keys-list [data-key="ci-bot"]').getByRole('button', { name: 'Revoke' }).click();
  await page.getByRole('button', { name: 'Revoke ci-bot' }).click();
  await page.locator('#keys-list [data-key="ci-bot"]').waitFor({ state: 'detached' });
  assert.equal((await fetch(`${sluice.url}/apps`, { headers: { Authorization: `Bearer ${limited}` } })).status, 401);

  // Destroy an app: only after typing its name.
  await page.locator('#apps-list a', { hasText: 'billing-api' }).click();
  await page.locator('.tabs a', { hasText: 'Settings' }).click();
  assert.equal(await page.locator('#destroy').isDisabled(), true);
  await page.getByLabel("Type the app's name to confirm").fill('billing-ap');
  assert.equal(await page.locator('#destroy').isDisabled(), true);
  await page.getByLabel("Type the app's name to confirm").fill('billing-api');
  await view('settings', { axe: true });
  await page.locator('#destroy').click();
  await page.locator('#apps-list a', { hasText: 'billing-api' }).waitFor({ state: 'detached' });
  assert.equal((await sluice.api('GET', '/apps/billing-api')).status, 404);
  await page.locator('#pick').waitFor();
  await view('home');
  phase('keys, destroy');

  // The key only in headers; no script error or CSP violation anywhere above.
  for (const r of requested) assert.ok(!r.url.includes(sluice.apiKey), `the key is in a URL: ${r.url}`);
  assert.ok(requested.some((r) => r.url.includes('/sessions/') && r.auth === undefined));
  assert.deepEqual(problems, [], 'no script errors and no CSP violations');

  // The node goes away: the stream says so, the drains say their state is unknown.
  await page.locator('#apps-list a', { hasText: app }).click();
  await page.locator('.tabs a', { hasText: 'Drains' }).click();
  await page.locator('#drains-list .pill.delivering').first().waitFor();
  await sluice.kill9(); // gone at once, as in a crash (a graceful stop spends 10 s on the failing drain)
  await page.locator('#drains-msg', { hasText: "Can't read the drains right now" }).waitFor({ timeout: WAIT_MS });
  assert.equal(await page.locator('#drains-list .pill.delivering').count(), 0, 'no stale "delivering"');
  await view('drains-node-gone', { keyboard: false });
  await page.locator('.tabs a', { hasText: 'Logs' }).click();
  await page.waitForFunction(() => ['reconnecting', 'ended'].includes((globalThis as PageWindow).document.getElementById('stream-state')?.dataset.state ?? ''));
  await view('logs-node-gone', { keyboard: false });
  phase('node gone');

  // Back on the same port with the same data: a new session by itself, nothing shown twice.
  const again = await startSluice({ dataDir: sluice.dataDir, apiKey: sluice.apiKey, args: ['--http-port', String(sluice.httpPort)] });
  await page.locator('#stream-state[data-state="live"]').waitFor({ timeout: 40_000 });
  assert.equal((await again.postLogs(token, [frame(token, 'web.1', 'after restart: back again')])).status, 204);
  await seeLine(page, 'after restart: back again');
  const lines = await logLines(page);
  assert.equal(lines.filter((l) => l.includes('Hello from curl')).length, 0);
  assert.equal(lines.filter((l) => l.includes('live: unseen 5')).length, 1, 'no line twice');
  await again.kill9(); // a graceful stop would spend 10 s on the failing drain
  phase('node back');
}
