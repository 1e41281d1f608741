// The whole add-on story (SPEC §6), from both sides, with real processes: sluice, the example
// log-search add-on built on the partner kit, the sluice CLI and the real heroku CLI.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { makeFrame, rfc5424, runSluiceCli, startSluice, waitUntil, type Sluice } from './helpers/sluice.js';
import { requireHeroku, runHeroku } from './helpers/heroku-cli.js';
import { startExampleAddon, type ExampleAddon } from './addons-example-process.js';
import { basic, callAs, type Json } from './addons-fake-partner.js';

const APP = 'story';
const PASSWORD = 'log-search-partner-secret';
let s: Sluice;
let ex: ExampleAddon;
let addonUrl = '';
let appToken = '';
const addonOut = (): string => ex.output();

before(async () => {
  s = await startSluice({ args: ['--addon-timeout-ms', '5000'] });
  ex = await startExampleAddon(PASSWORD);
  addonUrl = ex.url;
  appToken = await s.createAppWithToken(APP);
});

after(async () => {
  await ex?.stop();
  await s?.stop();
});

const cli = (args: string[]) => runSluiceCli(args, s);
let addonName = '';
let addonId = '';
let searchUrl: URL;
let drain: { id: string; token: string; url: string };

async function search(q: string): Promise<{ status: number; body: Json }> {
  const u = new URL(searchUrl);
  u.pathname = u.pathname.replace('/search/', '/api/search/');
  u.searchParams.set('q', q);
  const r = await fetch(u, { signal: AbortSignal.timeout(5_000) });
  return { status: r.status, body: r.status === 200 ? await r.json() : await r.text() };
}

async function postLines(marker: string, n: number): Promise<void> {
  const frames = Array.from({ length: n }, (_, i) => makeFrame(rfc5424(appToken, 'web.1', `${marker} line ${i}`)));
  const r = await s.postLogs(appToken, frames);
  assert.equal(r.status, 204, String(r.body));
}

async function waitForHits(q: string, n: number): Promise<Json[]> {
  let hits: Json[] = [];
  await waitUntil(async () => {
    const r = await search(q);
    hits = r.status === 200 ? r.body.hits : [];
    return hits.length >= n;
  }, 15_000, 200);
  return hits;
}

test('the admin registers the example add-on with `sluice addons:services:add`', async () => {
  const r = await cli(['addons:services:add', ex.manifestPath]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'Registered add-on service log-search (Log Search)\n');
  const list = await cli(['addons:services']);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /^log-search {2}Log Search — log-search:basic, log-search:pro$/m);
});

test('`sluice addons:create` provisions it: config var, drain with the token sent, an api line', async () => {
  const r = await cli(['addons:create', 'log-search:basic', '-a', APP]);
  assert.equal(r.code, 0, r.stderr);
  const m = /^Created (log-search-[a-z]+-\d{5}) \(log-search:basic\)$/m.exec(r.stdout);
  assert.ok(m, r.stdout);
  addonName = m[1];
  assert.match(r.stdout, /^Config vars: LOG_SEARCH_URL$/m);
  assert.match(r.stdout, /^Log Search is ready: http:\/\/127\.0\.0\.1:\d+\/search\/\S+$/m);

  const listed = await cli(['addons', '-a', APP]);
  assert.match(listed.stdout, new RegExp(`^${addonName} {2}log-search:basic {2}provisioned$`, 'm'));
  const shown = await s.api('GET', `/apps/${APP}/addons/${addonName}`);
  assert.equal(shown.status, 200);
  addonId = shown.body.id;
  assert.deepEqual(shown.body.addon_service, { id: 'log-search', name: 'log-search' });
  const cfg = await s.api('GET', `/addons/${addonName}/config`);
  searchUrl = new URL(cfg.body[0].value as string);

  const drains = await s.api('GET', `/apps/${APP}/log-drains`);
  assert.equal(drains.status, 200);
  assert.equal(drains.body.length, 1);
  drain = drains.body[0];
  assert.deepEqual(drains.body[0].addon, { id: addonId, name: addonName });
  const du = new URL(drain.url);
  assert.equal(`${du.protocol}//${du.host}`, addonUrl, 'the log_drain_url the add-on returned');
  assert.equal(du.username, 'drain');
  assert.match(du.pathname, /^\/drains\/[A-Za-z0-9_-]+$/);
  // The add-on holds the token Sluice sent; the drain has the same one.
  const meta = await search('');
  assert.equal(meta.status, 200);
  assert.equal(meta.body.installation.drain_token, drain.token);
});

test("the add-on's own line arrives through log_input_url, and every step is in the app's log", async () => {
  const lines = await s.waitForLogs(APP, (ls) => ls.some((l) => l.includes('Log Search is now indexing')), { timeoutMs: 10_000 });
  const text = lines.join('\n');
  assert.ok(lines.some((l) => l.endsWith(` ${addonName}[log-search]: Log Search is now indexing this app's logs (${addonName})`)), text);
  assert.ok(lines.some((l) => / heroku\[api\]: Attaching add-on log-search-\S+ \(log-search:basic\) by admin$/.test(l)), text);
  assert.ok(lines.some((l) => l.includes(`heroku[api]: Add-on ${addonName} added log drain http://127.0.0.1:`)), text);
  assert.ok(lines.some((l) => l.endsWith(`heroku[api]: Add-on ${addonName} provisioned by admin`)), text);
  const password = new URL(drain.url).password;
  assert.equal(text.includes(password), false, "the drain URL's password is not in the log");
  assert.equal(text.includes(PASSWORD), false);
});

test('logs posted to the app reach the add-on with the right drain token, and search finds them', async () => {
  await postLines('alpha-marker', 5);
  // Waits on the drain manager delivering to the add-on's drain (src/drains/**).
  const hits = await waitForHits('alpha-marker', 5);
  assert.equal(hits.length, 5, `search found ${hits.length}; add-on log:\n${addonOut()}`);
  assert.deepEqual(hits.map((h) => h.message).sort(), [0, 1, 2, 3, 4].map((i) => `alpha-marker line ${i}`));
  assert.equal(hits[0].source, 'app');
  assert.equal(hits[0].procid, 'web.1');
  // The HTML page shows them too.
  const page = await fetch(`${searchUrl.toString()}&q=alpha-marker`, { signal: AbortSignal.timeout(5_000) });
  const html = await page.text();
  assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
  assert.match(html, /5 of \d+ lines matching “alpha-marker”/);
  assert.ok(html.includes('alpha-marker line 4'));
});

test('`heroku drains` (the real CLI) lists it under Add-on Drains', async (t) => {
  if (!(await requireHeroku(t))) return;
  const r = await runHeroku(['drains', '-a', APP], { url: s.url, apiKey: s.apiKey });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `=== Add-on Drains\n\nlog-search:basic (${addonName})\n`);
});

test('a user cannot delete the add-on\'s drain', async () => {
  const r = await s.api('DELETE', `/apps/${APP}/log-drains/${encodeURIComponent(drain.token)}`);
  assert.equal(r.status, 403, JSON.stringify(r.body));
  assert.match(r.body.message, /remove the add-on/);
  assert.equal((await s.api('GET', `/apps/${APP}/log-drains`)).body.length, 1);
});

test('the partner moves its drain: the token stays, and delivery follows the new URL', async () => {
  const partner = basic('log-search', PASSWORD);
  const list = await callAs(s.url, partner, 'GET', `/addons/${addonName}/log-drains`);
  assert.equal(list.status, 200);
  assert.deepEqual(list.body.map((d: { id: string }) => d.id), [drain.id]);
  const moved = `${drain.url}?v=2`;
  const r = await callAs(s.url, partner, 'PUT', `/addons/${addonId}/log-drains/${encodeURIComponent(drain.token)}`, { url: moved });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.url, moved);
  assert.equal(r.body.token, drain.token, 'the token is unchanged');
  assert.equal(r.body.id, drain.id);
  const after = await s.api('GET', `/apps/${APP}/log-drains`);
  assert.equal(after.body[0].url, moved);
  assert.equal(after.body[0].token, drain.token);
  const lines = await s.waitForLogs(APP, (ls) => ls.some((l) => l.includes('moved its log drain')));
  assert.ok(lines.some((l) => l.endsWith(`heroku[api]: Add-on ${addonName} moved its log drain to ${addonUrl}/drains/${new URL(drain.url).pathname.split('/').pop()}?v=[redacted] by log-search`)), lines.join('\n'));
  await postLines('bravo-marker', 3);
  assert.equal((await waitForHits('bravo-marker', 3)).length, 3, 'delivered to the moved drain');
});

test('`sluice addons:destroy` sends DELETE to the add-on; the drain, its token and the installation are gone', async () => {
  const r = await cli(['addons:destroy', addonName, '-a', APP]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `Destroyed ${addonName} (log-search:basic) on ${APP}\n`);
  assert.ok(await waitUntil(() => addonOut().includes('deprovisioned '), 5_000), addonOut());
  assert.equal((await search('')).status, 404, 'the add-on forgot the installation');
  assert.deepEqual((await s.api('GET', `/apps/${APP}/log-drains`)).body, []);
  assert.deepEqual((await s.api('GET', `/apps/${APP}/addons`)).body, []);
  const tokens = (await s.api('GET', `/apps/${APP}/log-tokens`)).body as { name: string }[];
  assert.equal(tokens.some((t) => t.name === addonName), false, "the add-on's log token is gone");
  const lines = await s.waitForLogs(APP, (ls) => ls.some((l) => l.includes(`Add-on ${addonName} removed`)));
  assert.ok(lines.some((l) => l.endsWith(`heroku[api]: Add-on ${addonName} removed by admin`)));
  assert.equal(s.output().includes(PASSWORD), false);
  assert.equal(readFileSync(ex.manifestPath, 'utf8').includes(PASSWORD), true);
});
