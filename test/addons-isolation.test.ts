// Who may do what with add-ons (SPEC §5, §6, §10): a partner sees and moves only its own add-ons'
// drains; a user cannot delete an add-on's drain; manifests are checked with clear errors.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSluice, type Sluice } from './helpers/sluice.js';
import { basic, callAs, startFakePartner, type FakePartner, type Json } from './addons-fake-partner.js';

let s: Sluice;
let a: FakePartner;
let b: FakePartner;
const addon: Record<'a' | 'b', { id: string; name: string; drain: { id: string; token: string; url: string } }> = {} as never;
const A_PASS = 'alpha-partner-secret';
const B_PASS = 'bravo-partner-secret';

before(async () => {
  s = await startSluice({ args: ['--addon-timeout-ms', '2000'] });
  a = await startFakePartner('alpha', A_PASS);
  b = await startFakePartner('bravo', B_PASS);
  await s.createAppWithToken('iso-a');
  await s.createAppWithToken('iso-b');
  for (const [k, p, app] of [['a', a, 'iso-a'], ['b', b, 'iso-b']] as const) {
    assert.equal((await s.api('POST', '/addon-services', p.manifest())).status, 201);
    p.behave(() => ({ status: 200, body: { id: `${k}-1`, log_drain_url: `https://localhost/drains/${k}/${k}-1` } }));
    const r = await s.api('POST', `/apps/${app}/addons`, { plan: p.id });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const d = await s.api('GET', `/addons/${r.body.id}/log-drains`);
    addon[k] = { id: r.body.id, name: r.body.name, drain: d.body[0] };
  }
});

after(async () => {
  await a?.close();
  await b?.close();
  await s?.stop();
});

const asA = (method: string, path: string, body?: unknown) => callAs(s.url, basic('alpha', A_PASS), method, path, body);

test("a partner lists and moves its own add-on's drain", async () => {
  const list = await asA('GET', `/addons/${addon.a.name}/log-drains`);
  assert.equal(list.status, 200);
  assert.equal(list.body.length, 1);
  assert.equal(list.body[0].token, addon.a.drain.token);
  const r = await asA('PUT', `/addons/${addon.a.id}/log-drains/${addon.a.drain.id}`, { url: 'https://localhost/drains/a2/a-1' });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.token, addon.a.drain.token);
  const byUrl = await asA('PUT', `/addons/${addon.a.id}/log-drains/${encodeURIComponent('https://localhost/drains/a2/a-1')}`, {
    url: 'https://localhost/drains/a3/a-1',
  });
  assert.equal(byUrl.status, 200, 'the drain may be named by its URL too');
  const bad = await asA('PUT', `/addons/${addon.a.id}/log-drains/${addon.a.drain.id}`, { url: 'gopher://x' });
  assert.equal(bad.status, 422);
  assert.match(bad.body.message, /unsupported scheme "gopher"/);
});

test("one partner cannot see or move another partner's drains", async () => {
  for (const ref of [addon.b.id, addon.b.name]) {
    const list = await asA('GET', `/addons/${ref}/log-drains`);
    assert.equal(list.status, 404, JSON.stringify(list.body));
    assert.equal(list.body.message, "Couldn't find that add-on.");
    const move = await asA('PUT', `/addons/${ref}/log-drains/${addon.b.drain.id}`, { url: 'https://localhost/evil' });
    assert.equal(move.status, 404);
    assert.equal((await asA('GET', `/addons/${ref}`)).status, 404);
    assert.equal((await asA('PATCH', `/addons/${ref}/config`, { config: [] })).status, 404);
    assert.equal((await asA('POST', `/addons/${ref}/actions/provision`)).status, 404);
  }
  // Nor reach B's drain through its own add-on.
  const cross = await asA('PUT', `/addons/${addon.a.id}/log-drains/${addon.b.drain.id}`, { url: 'https://localhost/evil' });
  assert.equal(cross.status, 404);
  const still = await s.api('GET', `/addons/${addon.b.id}/log-drains`);
  assert.equal(still.body[0].url, addon.b.drain.url, "B's drain is untouched");
});

test('a partner is nobody outside its add-ons; a wrong password is nobody at all', async () => {
  assert.equal((await asA('GET', '/apps/iso-a')).status, 404);
  assert.equal((await asA('GET', '/apps/iso-a/log-drains')).status, 404);
  assert.deepEqual((await asA('GET', '/apps')).body, []);
  assert.equal((await asA('POST', '/addon-services', b.manifest())).status, 403);
  assert.deepEqual((await asA('GET', '/addon-services')).body.map((x: { id: string }) => x.id), ['alpha']);
  const wrong = await callAs(s.url, basic('alpha', B_PASS), 'GET', `/addons/${addon.a.id}/log-drains`);
  assert.equal(wrong.status, 401);
  const none = await callAs(s.url, undefined, 'GET', `/addons/${addon.a.id}/log-drains`);
  assert.equal(none.status, 401);
});

test("a user cannot delete an add-on's drain, by id, url or token", async () => {
  const d = (await s.api('GET', `/addons/${addon.b.id}/log-drains`)).body[0];
  for (const ref of [d.id, d.url, d.token]) {
    const r = await s.api('DELETE', `/apps/iso-b/log-drains/${encodeURIComponent(ref)}`);
    assert.equal(r.status, 403, JSON.stringify(r.body));
    assert.equal(r.body.id, 'forbidden');
    assert.match(r.body.message, /remove the add-on/);
  }
  assert.equal((await s.api('GET', '/apps/iso-b/log-drains')).body.length, 1);
});

test('partner passwords never appear in the server output', () => {
  assert.equal(s.output().includes(A_PASS), false);
  assert.equal(s.output().includes(B_PASS), false);
});

test('manifests are checked, with a clear sentence naming the field', async () => {
  const good = () => ({
    id: 'shiny',
    name: 'Shiny',
    plans: [{ name: 'basic' }],
    api: {
      password: 'a-long-enough-password',
      config_vars: ['SHINY_URL'],
      requires: ['syslog_drain'],
      production: { base_url: 'https://shiny.example.com/heroku/resources' },
      version: '3',
    },
  });
  const cases: [string, (m: Json) => void, RegExp][] = [
    ['slug', (m) => (m.id = 'Shiny!'), /^Invalid manifest: id must be lowercase letters, digits and single dashes/],
    ['password missing', (m) => delete m.api.password, /api\.password is required/],
    ['password short', (m) => (m.api.password = 'short'), /api\.password must be at least 8 characters/],
    ['password placeholder', (m) => (m.api.password = 'CHANGEME'), /placeholder/],
    ['http base url', (m) => (m.api.production.base_url = 'http://shiny.example.com/r'), /api\.production\.base_url: must be https:\/\/ \(plain http:\/\/ is allowed only for loopback hosts/],
    ['credentials in base url', (m) => (m.api.production.base_url = 'https://u:p@shiny.example.com/r'), /must not carry a user or password/],
    ['prefix', (m) => (m.api.config_vars = ['OTHER_URL']), /"OTHER_URL" must begin with the prefix SHINY_/],
    ['config var shape', (m) => (m.api.config_vars = ['shiny_url']), /config vars must match/],
    ['requires', (m) => (m.api.requires = ['syslog_drain', 'telepathy']), /api\.requires: unknown value "telepathy" \(allowed: syslog_drain, log_input, many_per_app\)/],
    ['plans', (m) => (m.plans = [{ name: 'basic' }, { name: 'basic' }]), /plans: "basic" is listed twice/],
    ['plan name', (m) => (m.plans = [{ name: 'Gold Plan' }]), /plan name must be lowercase/],
    ['version', (m) => (m.api.version = '2'), /api\.version must be "3"/],
  ];
  for (const [what, mutate, why] of cases) {
    const m = good();
    mutate(m);
    const r = await s.api('POST', '/addon-services', m);
    assert.equal(r.status, 422, `${what}: ${JSON.stringify(r.body)}`);
    assert.match(r.body.message, why, what);
    assert.equal(JSON.stringify(r.body).includes('a-long-enough-password'), false);
  }
  const loopback = good();
  loopback.api.production.base_url = 'http://localhost:4567/heroku/resources';
  assert.equal((await s.api('POST', '/addon-services', loopback)).status, 201, 'plain http to loopback is allowed');
  assert.equal((await s.api('POST', '/addon-services', good())).status, 409, 'registered twice');
  assert.equal((await s.api('DELETE', '/addon-services/shiny')).status, 200);
});
