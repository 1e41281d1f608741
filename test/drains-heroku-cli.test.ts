// The real Heroku CLI (heroku@11.10.0) against sluice: `drains`, `drains --json`, `drains:add`,
// `drains:remove` work unchanged (reference/heroku.md §5.3–5.5).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSluice, type Sluice } from './helpers/sluice.js';
import { requireHeroku, runHeroku } from './helpers/heroku-cli.js';

const APP = 'herokudrains';
let s: Sluice;

before(async () => {
  s = await startSluice();
  await s.createAppWithToken(APP);
});
after(async () => {
  await s.stop();
});

test('heroku drains:add, drains, drains --json, drains:remove (by URL and by token), errors', { timeout: 180_000 }, async (t) => {
  if (!(await requireHeroku(t))) return;
  const target = { url: s.url, apiKey: s.apiKey };
  const url1 = 'syslog+tls://localhost:6514';
  const url2 = 'https://user:pass@localhost/drain?x=1';

  const add1 = await runHeroku(['drains:add', url1, '-a', APP], target);
  assert.equal(add1.code, 0, add1.stderr);
  assert.equal(add1.stdout, `Successfully added drain ${url1}\n`);
  const add2 = await runHeroku(['drains:add', url2, '-a', APP], target);
  assert.equal(add2.code, 0, add2.stderr);
  assert.equal(add2.stdout, `Successfully added drain ${url2}\n`);

  const api = (await s.api('GET', `/apps/${APP}/log-drains`)).body as Array<{ url: string; token: string }>;
  const tok = (u: string): string => api.find((d) => d.url === u)!.token;

  const list = await runHeroku(['drains', '-a', APP], target);
  assert.equal(list.code, 0, list.stderr);
  assert.equal(list.stdout, `=== Drains\n\n${url1} (${tok(url1)})\n${url2} (${tok(url2)})\n`);

  const json = await runHeroku(['drains', '-a', APP, '--json'], target);
  assert.equal(json.code, 0, json.stderr);
  assert.deepEqual(JSON.parse(json.stdout), api);

  const bad = await runHeroku(['drains:add', 'ftp://localhost', '-a', APP], target);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /Invalid drain URL: unsupported scheme "ftp"/);
  assert.match(bad.stderr, /Error ID: invalid_params/);

  const dup = await runHeroku(['drains:add', url1, '-a', APP], target);
  assert.notEqual(dup.code, 0);
  assert.match(dup.stderr, /Error ID: conflict/);

  const rm1 = await runHeroku(['drains:remove', url2, '-a', APP], target);
  assert.equal(rm1.code, 0, rm1.stderr);
  assert.equal(rm1.stdout, `Successfully removed drain ${url2}\n`);
  const rm2 = await runHeroku(['drains:remove', tok(url1), '-a', APP], target);
  assert.equal(rm2.code, 0, rm2.stderr);
  assert.equal(rm2.stdout, `Successfully removed drain ${url1}\n`);

  const none = await runHeroku(['drains', '-a', APP], target);
  assert.equal(none.code, 0, none.stderr);
  assert.deepEqual((await s.api('GET', `/apps/${APP}/log-drains`)).body, []);

  const gone = await runHeroku(['drains:remove', url1, '-a', APP], target);
  assert.notEqual(gone.code, 0);
  assert.match(gone.stderr, /Couldn't find that log drain\.\n.*\n.*Error ID: not_found/);
});
