// Drain URLs and tokens never reach other drains: the `heroku[api]` lines every drain of an app
// receives (an add-on partner's included) name a drain by its id, with the URL's password and
// query values redacted; the 409 duplicate message, L14 lines, the server log and /metrics carry
// no query secret either.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { httpReceiver, makeCerts, removeDir, until, type Certs, type HttpReceiver } from './drains-support.js';
import { startFakePartner, type FakePartner } from './addons-fake-partner.js';
import { startSluice, type Sluice } from './helpers/sluice.js';

let s: Sluice;
let partner: FakePartner;
let partnerRx: HttpReceiver;
let userRx: HttpReceiver;
let tlsRx: HttpReceiver;
let certs: Certs;

before(async () => {
  certs = makeCerts();
  [s, partner, partnerRx, userRx] = await Promise.all([
    startSluice({ args: ['--addon-timeout-ms', '3000'] }),
    startFakePartner('spy-partner', 'partner-password-2'),
    httpReceiver(),
    httpReceiver(),
  ]);
  // A receiver whose certificate Sluice does not trust: its drain writes L14.
  tlsRx = await httpReceiver({ tls: { cert: certs.cert, key: certs.key } });
});
after(async () => {
  await Promise.all([s?.stop(), partner?.close(), partnerRx?.close(), userRx?.close(), tlsRx?.close()]);
  removeDir(certs.dir);
});

test("a partner's drain receives the audit lines of other drains without their query secrets, passwords or tokens", { timeout: 60_000 }, async () => {
  await s.createAppWithToken('spied');
  assert.equal((await s.api('POST', '/addon-services', partner.manifest())).status, 201);
  partner.behave(() => ({ status: 200, body: { id: 'spy-1', config: {}, log_drain_url: `http://127.0.0.1:${partnerRx.port}/partner` } }));
  const addon = await s.api('POST', '/apps/spied/addons', { plan: 'spy-partner' });
  assert.equal(addon.status, 201, JSON.stringify(addon.body));

  const secretUrl = `http://user:hunter2@127.0.0.1:${userRx.port}/all?token=SECRET-QUERY-VALUE&x=1`;
  const created = await s.api('POST', '/apps/spied/log-drains', { url: secretUrl });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const userDrain = created.body as { id: string; token: string };

  const dup = await s.api('POST', '/apps/spied/log-drains', { url: secretUrl });
  assert.equal(dup.status, 409);
  assert.equal(dup.body.message, `Already exists: spied already drains to http://127.0.0.1:${userRx.port}/all?token=[redacted]&x=[redacted].`);

  const tlsUrl = `https://127.0.0.1:${tlsRx.port}/in?api_key=SECRET-L14-VALUE`;
  const tlsDrain = await s.api('POST', '/apps/spied/log-drains', { url: tlsUrl });
  assert.equal(tlsDrain.status, 201);
  assert.equal((await s.api('DELETE', `/apps/spied/log-drains/${userDrain.id}`)).status, 200);

  // The partner's drain got the audit lines (by the drain's id), never the secrets.
  const audit = (): string[] => partnerRx.frames().filter((f) => f.includes(' api - '));
  assert.ok(await until(() => audit().some((f) => f.includes('Removed drain')), 15_000), audit().join('\n'));
  const added = audit().find((f) => f.includes(`Added drain http://127.0.0.1:${userRx.port}/all?token=[redacted]&x=[redacted] (${userDrain.id}) by admin`));
  assert.ok(added, audit().join('\n'));
  const partnerBytes = partnerRx.requests.map((r) => r.body.toString('utf8')).join('\n');
  for (const secret of ['SECRET-QUERY-VALUE', 'hunter2', userDrain.token, 'SECRET-L14-VALUE', tlsDrain.body.token as string]) {
    assert.ok(!partnerBytes.includes(secret), `the partner's drain received ${secret}`);
  }

  // L14 (certificate failure) in the app's log: the URI without its query value.
  const lines = await s.waitForLogs('spied', (ls) => ls.some((l) => l.includes('Error L14')), { timeoutMs: 20_000 });
  const l14 = lines.find((l) => l.includes('Error L14'));
  assert.ok(l14, lines.join('\n'));
  assert.ok(l14.includes(`uri="https://127.0.0.1:${tlsRx.port}/in?api_key=[redacted]"`), l14);
  const metrics = await (await fetch(`${s.url}/metrics`)).text();
  for (const secret of ['SECRET-QUERY-VALUE', 'hunter2', 'SECRET-L14-VALUE', userDrain.token]) {
    assert.ok(!lines.join('\n').includes(secret), `the app log holds ${secret}`);
    assert.ok(!metrics.includes(secret), `/metrics holds ${secret}`);
    assert.ok(!s.output().includes(secret), `the server log holds ${secret}`);
  }
});
