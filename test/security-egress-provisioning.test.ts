// Add-on provisioning edges with a real partner endpoint on 127.0.0.1: the app deleted while the
// partner answers (nothing kept, the partner told DELETE), redirects never followed (a 307 is a
// failure; the Location is never called), and a partner answering 201 after the timeout told
// DELETE so its installation is not orphaned.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startFakePartner, type FakePartner } from './addons-fake-partner.js';
import { startSluice, waitUntil, type Sluice } from './helpers/sluice.js';

const TIMEOUT_MS = 2_000;
let s: Sluice;
let partner: FakePartner;
/** Where a followed redirect would land: it must never be called. */
let trap: http.Server;
let trapped = 0;
let trapUrl: string;

before(async () => {
  [s, partner] = await Promise.all([startSluice({ args: ['--addon-timeout-ms', String(TIMEOUT_MS)] }), startFakePartner('edge-partner', 'partner-password-4')]);
  trap = http.createServer((req, res) => {
    trapped++;
    res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"id":"trapped"}');
  });
  await new Promise<void>((r) => trap.listen(0, '127.0.0.1', r));
  trapUrl = `http://127.0.0.1:${(trap.address() as AddressInfo).port}/latest/meta-data`;
  assert.equal((await s.api('POST', '/addon-services', partner.manifest())).status, 201);
});
after(async () => {
  await Promise.all([s?.stop(), partner?.close(), new Promise((r) => trap?.close(r))]);
});

async function nothingOf(app: string): Promise<void> {
  assert.deepEqual((await s.api('GET', `/apps/${app}/addons`)).body, []);
  assert.deepEqual((await s.api('GET', `/apps/${app}/log-drains`)).body, []);
  assert.deepEqual(((await s.api('GET', `/apps/${app}/log-tokens`)).body as Array<{ name: string }>).map((t) => t.name), ['app', 'app'], 'only the tokens the app made itself');
}

test('the app deleted while the partner is answering: no 201, nothing kept, the partner told DELETE', { timeout: 30_000 }, async () => {
  await s.createAppWithToken('vanishing');
  let release: (() => void) | undefined;
  const answered = new Promise<void>((r) => (release = r));
  partner.behave((req) =>
    req.method === 'POST' ? { status: 200, body: { id: 'gone-1', config: {}, log_drain_url: 'https://logs.partner.invalid/x' }, delayMs: 1_000 } : { status: 200, body: {} },
  );
  const seen = partner.seen.length;
  const provisioning = s.api('POST', '/apps/vanishing/addons', { plan: 'edge-partner' }).finally(() => release?.());
  assert.ok(await waitUntil(() => partner.seen.slice(seen).some((x) => x.method === 'POST'), 5_000));
  const del = await s.api('DELETE', '/apps/vanishing');
  assert.equal(del.status, 200, JSON.stringify(del.body));
  const r = await provisioning;
  await answered;
  assert.equal(r.status, 404, JSON.stringify(r.body));
  assert.match(r.body.message, /^vanishing was deleted while edge-partner was provisioning edge-partner-[a-z]+-\d+; nothing was kept\.$/);
  assert.ok(await waitUntil(() => partner.seen.slice(seen).some((x) => x.method === 'DELETE' && x.path.endsWith('/gone-1')), 5_000), 'the partner was told DELETE');
  assert.equal((await s.api('GET', '/apps/vanishing')).status, 404);
  // No add-on or drain points at the deleted app: the service can be removed (it answered 409 for ever).
  const addons = await s.api('GET', '/addon-services/edge-partner');
  assert.equal(addons.status, 200);
  const drains = await s.api('GET', '/apps');
  assert.ok(!(drains.body as Array<{ name: string }>).some((a) => a.name === 'vanishing'));
  const svc = await s.api('DELETE', '/addon-services/edge-partner');
  assert.equal(svc.status, 200, JSON.stringify(svc.body));
  assert.equal((await s.api('POST', '/addon-services', partner.manifest())).status, 201);
});

test('a 307 from the partner is never followed: the provision fails and the Location is never called', { timeout: 30_000 }, async () => {
  await s.createAppWithToken('redirected');
  for (const status of [307, 308, 302]) {
    partner.behave((req) => (req.method === 'POST' ? { status, headers: { Location: trapUrl } } : { status: 200, body: {} }));
    const r = await s.api('POST', '/apps/redirected/addons', { plan: 'edge-partner' });
    assert.equal(r.status, 422, JSON.stringify(r.body));
    assert.match(r.body.message, new RegExp(`edge-partner answered ${status}, a redirect \\(partner calls never follow redirects\\)`));
  }
  assert.equal(trapped, 0, 'the redirect target was never called');
  const provision = partner.seen.filter((x) => x.method === 'POST').at(-1)!;
  assert.ok(String(provision.body.log_input_url).includes('token:t.'), 'the call carried a live token (the reason never to follow)');
  await nothingOf('redirected');
});

test('a partner answering 201 after the timeout is told DELETE for each late installation', { timeout: 30_000 }, async () => {
  await s.createAppWithToken('latecomer');
  let n = 0;
  partner.behave((req) => (req.method === 'POST' ? { status: 201, body: { id: `late-${++n}`, config: {} }, delayMs: TIMEOUT_MS + 700 } : { status: 200, body: {} }));
  const seen = partner.seen.length;
  const r = await s.api('POST', '/apps/latecomer/addons', { plan: 'edge-partner' });
  assert.equal(r.status, 503, JSON.stringify(r.body));
  assert.match(r.body.message, /did not answer within 2 s \(tried 2 times\)/);
  await nothingOf('latecomer');
  const deletes = (): string[] => partner.seen.slice(seen).filter((x) => x.method === 'DELETE').map((x) => x.path.split('/').pop()!);
  assert.ok(await waitUntil(() => deletes().includes('late-1') && deletes().includes('late-2'), 10_000), JSON.stringify(deletes()));
  const lines = await s.waitForLogs('latecomer', (ls) => ls.filter((l) => l.includes('answered after the timeout')).length >= 2);
  assert.equal(lines.filter((l) => l.includes('answered after the timeout; told it to remove that installation')).length, 2, lines.join('\n'));
});
