// Provisioning against partners that misbehave (SPEC §6.2–6.5): 500s, silence, unusable replies,
// retried uuids, asynchronous provisioning, plan changes and removal. Each case: a clear outcome
// for the user, and nothing half-made left behind (no add-on, drain or log token).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSluice, type Sluice } from './helpers/sluice.js';
import { basic, callAs, nothingLeft, startFakePartner, type FakePartner } from './addons-fake-partner.js';

const TIMEOUT_MS = 700;
const PASSWORD = 'flaky-partner-secret-1';
let s: Sluice;
let p: FakePartner;

before(async () => {
  s = await startSluice({ args: ['--addon-timeout-ms', String(TIMEOUT_MS)] });
  p = await startFakePartner('flaky', PASSWORD);
  const r = await s.api('POST', '/addon-services', p.manifest({ plans: ['basic', 'pro'] }));
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(JSON.stringify(r.body).includes(PASSWORD), false, 'the service view never shows the password');
});

after(async () => {
  await p?.close();
  await s?.stop();
});

let appN = 0;
async function freshApp(): Promise<string> {
  const name = `fail-${++appN}`;
  await s.createAppWithToken(name);
  return name;
}

const posts = () => p.seen.filter((x) => x.method === 'POST');

test('every provision call: Basic id:password, the v3 add-ons Accept header, the documented payload', async () => {
  const app = await freshApp();
  p.seen.length = 0;
  p.behave(() => ({ status: 200, body: { id: 'prov-1', config: { FLAKY_URL: 'https://flaky.example/1' }, message: 'Hello!' } }));
  const r = await s.api('POST', `/apps/${app}/addons`, { plan: 'flaky:pro', config: { size: 'L' } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(r.body.plan.name, 'flaky:pro');
  assert.equal(r.body.state, 'provisioned');
  assert.equal(r.body.provider_id, 'prov-1');
  assert.deepEqual(r.body.config_vars, ['FLAKY_URL']);
  assert.equal(r.body.provision_message, 'Hello!');
  assert.equal(posts().length, 1);
  const call = posts()[0];
  assert.equal(call.path, '/heroku/resources');
  assert.equal(call.headers.authorization, basic('flaky', PASSWORD));
  assert.equal(call.headers.accept, 'application/vnd.heroku-addons+json; version=3');
  assert.equal(call.headers['content-type'], 'application/json');
  const b = call.body;
  assert.equal(b.uuid, r.body.id, 'uuid is the add-on id');
  assert.equal(b.name, r.body.name);
  assert.match(b.name, /^flaky-[a-z]+-\d{5}$/);
  assert.equal(b.plan, 'pro');
  assert.deepEqual(b.options, { size: 'L' });
  assert.equal(b.callback_url, `${s.url}/addons/${r.body.id}`);
  assert.match(b.log_drain_token, /^d\.[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  const input = new URL(b.log_input_url as string);
  assert.equal(input.username, 'token');
  assert.match(input.password, /^t\.[0-9a-f-]{36}$/);
  assert.equal(`${input.protocol}//${input.host}${input.pathname}`, `${s.url}/logs`);
  // The token is named after the add-on: lines written with it show as the add-on's.
  const tokens = (await s.api('GET', `/apps/${app}/log-tokens`)).body as { name: string; token: string }[];
  assert.equal(tokens.find((t) => t.token === input.password)?.name, b.name);
  const cfg = await s.api('GET', `/addons/${b.name}/config`);
  assert.deepEqual(cfg.body, [{ name: 'FLAKY_URL', value: 'https://flaky.example/1' }]);
});

test('a manifest without syslog_drain or log_input gets neither field', async () => {
  const q = await startFakePartner('plain', 'plain-partner-secret');
  try {
    assert.equal((await s.api('POST', '/addon-services', q.manifest({ requires: [] }))).status, 201);
    const app = await freshApp();
    q.behave(() => ({ status: 200, body: { id: 1234 } }));
    const r = await s.api('POST', `/apps/${app}/addons`, { plan: 'plain' });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.provider_id, '1234', 'numeric ids are kept as text');
    assert.equal(r.body.plan.name, 'plain:default', 'no plans listed: any name, default "default"');
    const body = q.seen[0].body;
    assert.equal('log_drain_token' in body, false);
    assert.equal('log_input_url' in body, false);
    // once per app unless many_per_app
    const again = await s.api('POST', `/apps/${app}/addons`, { plan: 'plain' });
    assert.equal(again.status, 409, JSON.stringify(again.body));
    q.behave(() => ({ status: 204 }));
    assert.equal((await s.api('DELETE', `/apps/${app}/addons/${r.body.name}`)).status, 200);
    assert.equal((await s.api('DELETE', '/addon-services/plain')).status, 200);
  } finally {
    await q.close();
  }
});

test('an unknown plan or service is refused before the partner is called', async () => {
  const app = await freshApp();
  p.seen.length = 0;
  const r = await s.api('POST', `/apps/${app}/addons`, { plan: 'flaky:gold' });
  assert.equal(r.status, 422);
  assert.match(r.body.message, /Unknown plan "gold" for flaky \(plans: basic, pro\)/);
  const r2 = await s.api('POST', `/apps/${app}/addons`, { plan: 'nosuch:basic' });
  assert.equal(r2.status, 404);
  assert.equal(r2.body.message, "Couldn't find that add-on service.");
  assert.equal(p.seen.length, 0);
});

test('partner answers 500: retried once with the same uuid, then a clear error and nothing left', async () => {
  const app = await freshApp();
  p.seen.length = 0;
  p.behave(() => ({ status: 500, body: { message: 'database on fire' } }));
  const r = await s.api('POST', `/apps/${app}/addons`, { plan: 'flaky:basic' });
  assert.equal(r.status, 503, JSON.stringify(r.body));
  assert.match(r.body.message, /^Could not provision flaky-[a-z]+-\d{5}: flaky answered 500: database on fire \(tried 2 times\)\.$/);
  assert.equal(posts().length, 2, 'retried once');
  assert.deepEqual(posts()[1].body, posts()[0].body, 'the retry carries the same uuid and token');
  await nothingLeft(s, app);
  // The token handed out in log_input_url no longer writes anything.
  const token = new URL(posts()[0].body.log_input_url as string).password;
  assert.equal((await s.postLogs(token, ['5 hello'])).status, 401);
  const lines = await s.waitForLogs(app, (ls) => ls.some((l) => l.includes('failed to provision')));
  assert.ok(lines.some((l) => / heroku\[api\]: Attaching add-on flaky-\S+ \(flaky:basic\) by /.test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => /heroku\[api\]: Add-on flaky-\S+ failed to provision: flaky answered 500: database on fire/.test(l)));
});

test('partner times out: each attempt bounded by the configured timeout, then nothing left', async () => {
  const app = await freshApp();
  p.seen.length = 0;
  p.behave(() => 'hang');
  const t0 = Date.now();
  const r = await s.api('POST', `/apps/${app}/addons`, { plan: 'flaky:basic' });
  const took = Date.now() - t0;
  assert.equal(r.status, 503, JSON.stringify(r.body));
  assert.match(r.body.message, /flaky did not answer within 700 ms \(tried 2 times\)/);
  assert.ok(took >= 2 * TIMEOUT_MS && took < 8_000, `took ${took} ms`);
  assert.equal(posts().length, 2);
  assert.equal(posts()[1].body.uuid, posts()[0].body.uuid);
  await nothingLeft(s, app);
});

test('partner returns an unusable log_drain_url: refused, the partner is told to deprovision, nothing left', async () => {
  const cases: [string, RegExp][] = [
    ['ftp://logs.example.com/x', /unsupported scheme "ftp"/],
    ['http://drain:hunter22-secret@169.254.169.254/latest', /link-local/],
    ['not a url', /not a URL/],
  ];
  for (const [url, why] of cases) {
    const app = await freshApp();
    p.seen.length = 0;
    p.behave((req) => (req.method === 'POST' ? { status: 200, body: { id: 'bad-drain', log_drain_url: url } } : { status: 204 }));
    const r = await s.api('POST', `/apps/${app}/addons`, { plan: 'flaky:basic' });
    assert.equal(r.status, 422, JSON.stringify(r.body));
    assert.match(r.body.message, /flaky answered with an unusable reply \(log_drain_url /);
    assert.match(r.body.message, why);
    assert.equal(r.body.message.includes('hunter22-secret'), false, 'the drain password is never echoed');
    assert.deepEqual(
      p.seen.map((x) => `${x.method} ${x.path}`),
      ['POST /heroku/resources', 'DELETE /heroku/resources/bad-drain'],
    );
    assert.equal(p.seen[1].headers.authorization, basic('flaky', PASSWORD));
    await nothingLeft(s, app);
  }
  assert.equal(s.output().includes('hunter22-secret'), false);
  assert.equal(s.output().includes(PASSWORD), false);
});

test('partner config vars not in the manifest, or no id: refused as unusable', async () => {
  const app = await freshApp();
  p.behave((req) => (req.method === 'POST' ? { status: 200, body: { id: 'x', config: { OTHER_URL: 'x' } } } : { status: 204 }));
  const r = await s.api('POST', `/apps/${app}/addons`, { plan: 'flaky:basic' });
  assert.equal(r.status, 422);
  assert.match(r.body.message, /config var "OTHER_URL" is not declared/);
  p.behave(() => ({ status: 200, body: { config: {} } }));
  const r2 = await s.api('POST', `/apps/${app}/addons`, { plan: 'flaky:basic' });
  assert.equal(r2.status, 422);
  assert.match(r2.body.message, /id: the reply has no "id"/);
  await nothingLeft(s, app);
});

test('partner refuses with 422: not retried, its message reaches the user', async () => {
  const app = await freshApp();
  p.seen.length = 0;
  p.behave(() => ({ status: 422, body: { message: 'Region not supported' } }));
  const r = await s.api('POST', `/apps/${app}/addons`, { plan: 'flaky:basic' });
  assert.equal(r.status, 422);
  assert.match(r.body.message, /flaky answered 422: Region not supported\.$/);
  assert.equal(posts().length, 1);
  await nothingLeft(s, app);
});

test('answered twice (the first answer lost): the retry has the same uuid and token, one add-on and one drain result', async () => {
  const app = await freshApp();
  p.seen.length = 0;
  const drainUrl = `http://127.0.0.1:9/drains/retried`;
  p.behave((_req, n) => (n === 1 ? 'drop' : { status: 200, body: { id: 'same-id', log_drain_url: drainUrl } }));
  const r = await s.api('POST', `/apps/${app}/addons`, { plan: 'flaky:basic' });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(posts().length, 2);
  assert.deepEqual(posts()[1].body, posts()[0].body);
  const addons = await s.api('GET', `/apps/${app}/addons`);
  assert.equal(addons.body.length, 1);
  const drains = await s.api('GET', `/addons/${r.body.name}/log-drains`);
  assert.equal(drains.body.length, 1);
  assert.equal(drains.body[0].token, posts()[0].body.log_drain_token, 'the drain has the token that was sent');
  assert.equal(drains.body[0].url, drainUrl);
  assert.deepEqual(drains.body[0].addon, { id: r.body.id, name: r.body.name });
});

test('asynchronous provisioning: 202, then the partner sets config and marks it provisioned', async () => {
  const app = await freshApp();
  p.behave(() => ({ status: 202, body: { id: 'async-1', message: 'Setting up…' } }));
  const r = await s.api('POST', `/apps/${app}/addons`, { plan: 'flaky:basic' });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(r.body.state, 'provisioning');
  const partner = basic('flaky', PASSWORD);
  const wrong = await callAs(s.url, basic('flaky', 'not-the-password'), 'PATCH', `/addons/${r.body.id}/config`, { config: [] });
  assert.equal(wrong.status, 401);
  const bad = await callAs(s.url, partner, 'PATCH', `/addons/${r.body.id}/config`, { config: [{ name: 'NOPE', value: 'x' }] });
  assert.equal(bad.status, 422);
  const cfg = await callAs(s.url, partner, 'PATCH', `/addons/${r.body.id}/config`, {
    config: [{ name: 'FLAKY_URL', value: 'https://flaky.example/async-1' }],
  });
  assert.equal(cfg.status, 200, JSON.stringify(cfg.body));
  assert.deepEqual(cfg.body, [{ name: 'FLAKY_URL', value: 'https://flaky.example/async-1' }]);
  const done = await callAs(s.url, partner, 'POST', `/addons/${r.body.id}/actions/provision`);
  assert.equal(done.status, 200, JSON.stringify(done.body));
  assert.equal(done.body.state, 'provisioned');
  const shown = await s.api('GET', `/apps/${app}/addons/${r.body.name}`);
  assert.equal(shown.body.state, 'provisioned');
  assert.deepEqual(shown.body.config_vars, ['FLAKY_URL']);
  const lines = await s.waitForLogs(app, (ls) => ls.some((l) => l.includes(`Add-on ${r.body.name} provisioned by flaky`)));
  assert.ok(lines.some((l) => l.includes(`Add-on ${r.body.name} is provisioning`)), lines.join('\n'));
  assert.ok(lines.some((l) => l.includes(`Add-on ${r.body.name} config updated (FLAKY_URL) by flaky`)), lines.join('\n'));
  assert.equal(lines.join('\n').includes('flaky.example/async-1'), false, 'config values never go into the log');
});

test('plan change: PUT base/{id} {plan, uuid}; a failure leaves the plan as it was', async () => {
  const app = await freshApp();
  p.behave(() => ({ status: 200, body: { id: 'plan-1' } }));
  const r = await s.api('POST', `/apps/${app}/addons`, { plan: 'flaky:basic' });
  assert.equal(r.status, 201);
  p.seen.length = 0;
  p.behave(() => ({ status: 200, body: { config: { FLAKY_URL: 'https://flaky.example/pro' }, message: 'Upgraded' } }));
  const up = await s.api('PATCH', `/apps/${app}/addons/${r.body.name}`, { plan: 'flaky:pro' });
  assert.equal(up.status, 200, JSON.stringify(up.body));
  assert.equal(up.body.plan.name, 'flaky:pro');
  assert.equal(p.seen[0].method, 'PUT');
  assert.equal(p.seen[0].path, '/heroku/resources/plan-1');
  assert.deepEqual(p.seen[0].body, { plan: 'pro', uuid: r.body.id });
  assert.equal(p.seen[0].headers.authorization, basic('flaky', PASSWORD));
  p.behave(() => ({ status: 500 }));
  const down = await s.api('PATCH', `/apps/${app}/addons/${r.body.name}`, { plan: 'basic' });
  assert.equal(down.status, 503);
  assert.match(down.body.message, /Could not change .* to flaky:basic: flaky answered 500/);
  assert.equal((await s.api('GET', `/apps/${app}/addons/${r.body.name}`)).body.plan.name, 'flaky:pro');
  const other = await s.api('PATCH', `/apps/${app}/addons/${r.body.name}`, { plan: 'plain:basic' });
  assert.equal(other.status, 422);
});

test('removal: DELETE base/{id}; a partner that fails keeps the add-on unless forced; drain and token go', async () => {
  const app = await freshApp();
  p.behave(() => ({ status: 200, body: { id: 'del-1', log_drain_url: 'http://127.0.0.1:9/drains/del-1' } }));
  const r = await s.api('POST', `/apps/${app}/addons`, { plan: 'flaky:basic' });
  assert.equal(r.status, 201);
  p.seen.length = 0;
  p.behave(() => ({ status: 500 }));
  const kept = await s.api('DELETE', `/apps/${app}/addons/${r.body.name}`);
  assert.equal(kept.status, 503);
  assert.match(kept.body.message, /Could not remove .*: flaky answered 500/);
  assert.equal((await s.api('GET', `/apps/${app}/addons`)).body.length, 1);
  p.seen.length = 0;
  p.behave(() => ({ status: 200, body: {} }));
  const gone = await s.api('DELETE', `/apps/${app}/addons/${r.body.name}`);
  assert.equal(gone.status, 200, JSON.stringify(gone.body));
  assert.equal(gone.body.state, 'deprovisioned');
  assert.deepEqual(p.seen.map((x) => `${x.method} ${x.path}`), ['DELETE /heroku/resources/del-1']);
  await nothingLeft(s, app);

  // forced removal when the partner is down
  p.behave(() => ({ status: 200, body: { id: 'del-2' } }));
  const r2 = await s.api('POST', `/apps/${app}/addons`, { plan: 'flaky:basic' });
  p.behave(() => 'hang');
  const forced = await s.api('DELETE', `/apps/${app}/addons/${r2.body.name}?force=true`);
  assert.equal(forced.status, 200, JSON.stringify(forced.body));
  await nothingLeft(s, app);
});

test('deleting the app deprovisions its add-ons at the partner', async () => {
  const app = await freshApp();
  p.behave(() => ({ status: 200, body: { id: 'app-del-1', log_drain_url: 'http://127.0.0.1:9/drains/app-del' } }));
  const r = await s.api('POST', `/apps/${app}/addons`, { plan: 'flaky:basic' });
  assert.equal(r.status, 201);
  p.seen.length = 0;
  p.behave(() => ({ status: 204 }));
  assert.equal((await s.api('DELETE', `/apps/${app}`)).status, 200);
  assert.deepEqual(p.seen.map((x) => `${x.method} ${x.path}`), ['DELETE /heroku/resources/app-del-1']);
  assert.equal((await s.api('GET', `/addons/${r.body.id}`)).status, 404);
  const busy = await s.api('DELETE', '/addon-services/flaky');
  assert.equal(busy.status, 409, 'a service with add-ons cannot be removed');
});
