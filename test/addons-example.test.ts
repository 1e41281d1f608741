// The example add-on on its own, as Sluice (or kensa) would probe it: Basic auth, idempotent
// provisioning by uuid, plan change, deprovision, and a drain that only takes its own token.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startExampleAddon, type ExampleAddon } from './addons-example-process.js';
import { basic, callAs } from './addons-fake-partner.js';

const PASSWORD = 'example-provisioning-secret';
let ex: ExampleAddon;
const auth = (): string => basic('log-search', PASSWORD);

before(async () => {
  ex = await startExampleAddon(PASSWORD);
});

after(async () => {
  await ex?.stop();
});

const provision = (body: unknown, a = auth()) => callAs(ex.url, a, 'POST', '/heroku/resources', body);

test('provisioning calls need the manifest id and password', async () => {
  assert.equal((await provision({ uuid: randomUUID() }, basic('log-search', 'wrong-password'))).status, 401);
  assert.equal((await provision({ uuid: randomUUID() }, basic('someone', PASSWORD))).status, 401);
  assert.equal((await provision({ uuid: randomUUID() }, '')).status, 401, 'no credentials');
  assert.equal((await provision({})).status, 422, 'uuid is required');
});

test('the same uuid twice gives the same installation and answer (at-least-once delivery)', async () => {
  const body = { uuid: randomUUID(), name: 'app-search-1', plan: 'basic', log_drain_token: `d.${randomUUID()}` };
  const made = (): number => ex.output().match(/provisioned /g)?.length ?? 0;
  const before = made();
  const first = await provision(body);
  const second = await provision(body);
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.deepEqual(second.body, first.body);
  assert.match(first.body.log_drain_url, new RegExp(`^http://drain:[^@]+@127\\.0\\.0\\.1:\\d+/drains/${first.body.id}$`));
  assert.match(first.body.config.LOG_SEARCH_URL, /\/search\/\S+\?key=/);
  assert.equal(made() - before, 1, 'one installation made');
  const other = await provision({ ...body, uuid: randomUUID() });
  assert.notEqual(other.body.id, first.body.id);
  assert.equal('log_drain_url' in (await provision({ uuid: randomUUID() })).body, false, 'no token sent: no drain');
});

test('the drain takes only its own token and password; plan change and deprovision work', async () => {
  const token = `d.${randomUUID()}`;
  const p = await provision({ uuid: randomUUID(), name: 'app-search-2', plan: 'basic', log_drain_token: token });
  const drain = new URL(p.body.log_drain_url as string);
  const drainAuth = `Basic ${Buffer.from(`${drain.username}:${drain.password}`).toString('base64')}`;
  drain.username = '';
  drain.password = '';
  const msg = '<190>1 2024-05-01T12:00:00+00:00 host app web.1 - needle in the logs\n';
  const send = (t: string, a: string) =>
    fetch(drain, {
      method: 'POST',
      headers: { Authorization: a, 'Content-Type': 'application/logplex-1', 'Logplex-Drain-Token': t, 'Logplex-Frame-Id': 'F'.repeat(32) },
      body: `${Buffer.byteLength(msg)} ${msg}`,
      signal: AbortSignal.timeout(5_000),
    });
  assert.equal((await send(`d.${randomUUID()}`, drainAuth)).status, 401, 'another drain token');
  assert.equal((await send(token, basic('drain', 'guess'))).status, 401, 'wrong drain password');
  assert.equal((await send(token, drainAuth)).status, 204);
  assert.equal((await send(token, drainAuth)).status, 204, 'a retried batch');
  const search = new URL(p.body.config.LOG_SEARCH_URL as string);
  search.pathname = search.pathname.replace('/search/', '/api/search/');
  search.searchParams.set('q', 'needle');
  const found = (await (await fetch(search)).json()) as { hits: { message: string }[]; total: number };
  assert.deepEqual(found.hits.map((h) => h.message), ['needle in the logs'], 'stored once');
  const bad = new URL(search);
  bad.searchParams.set('key', 'nope');
  assert.equal((await fetch(bad)).status, 404, 'search needs the key from the config var');

  const plan = await callAs(ex.url, auth(), 'PUT', `/heroku/resources/${p.body.id}`, { plan: 'pro', uuid: 'x' });
  assert.equal(plan.status, 200);
  assert.equal(plan.body.message, 'Now on plan pro.');
  assert.equal((await callAs(ex.url, auth(), 'DELETE', `/heroku/resources/${p.body.id}`)).status, 204);
  assert.equal((await callAs(ex.url, auth(), 'DELETE', `/heroku/resources/${p.body.id}`)).status, 404);
  assert.equal((await send(token, drainAuth)).status, 401, 'a removed installation takes no more logs');
  assert.equal(ex.output().includes(PASSWORD), false);
});
