// A limited key cannot remove an add-on's own log token (the one behind its log_input_url: 403,
// like the add-on's drain), and cannot learn that another tenant holds a hostname: such a name is
// refused exactly as a reserved name is (422 "not available"), not "already in use".
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { callAs, startFakePartner, type FakePartner } from './addons-fake-partner.js';
import { makeFrame, startSluice, type Sluice } from './helpers/sluice.js';

let s: Sluice;
let partner: FakePartner;
let limited: string;

before(async () => {
  [s, partner] = await Promise.all([startSluice({ args: ['--addon-timeout-ms', '3000'] }), startFakePartner('input-partner', 'partner-password-3')]);
  await s.createAppWithToken('tenant-a');
  await s.createAppWithToken('tenant-b');
  const key = await s.api('POST', '/api-keys', { name: 'tenant-a-bot', apps: ['tenant-a'] });
  assert.equal(key.status, 201);
  limited = `Bearer ${key.body.key as string}`;
});
after(async () => {
  await Promise.all([s?.stop(), partner?.close()]);
});

test("a limited key (or the admin) cannot delete the add-on's own log token: 403, like its drain", async () => {
  assert.equal((await s.api('POST', '/addon-services', partner.manifest({ requires: ['log_input'] }))).status, 201);
  partner.behave(() => ({ status: 200, body: { id: 'in-1', config: {} } }));
  const addon = await callAs(s.url, limited, 'POST', '/apps/tenant-a/addons', { plan: 'input-partner' });
  assert.equal(addon.status, 201, JSON.stringify(addon.body));
  const provision = partner.seen.find((x) => x.method === 'POST')!;
  const inputToken = new URL(String(provision.body.log_input_url)).password;
  const tokens = await callAs(s.url, limited, 'GET', '/apps/tenant-a/log-tokens');
  const own = (tokens.body as Array<{ id: string; name: string; token: string }>).find((t) => t.token === inputToken);
  assert.ok(own, 'the add-on token is listed');
  for (const [who, auth] of [['limited', limited], ['admin', `Bearer ${s.apiKey}`]] as const) {
    for (const key of [own.id, own.name]) {
      const r = await callAs(s.url, auth, 'DELETE', `/apps/tenant-a/log-tokens/${key}`);
      assert.equal(r.status, 403, `${who} ${key}: ${JSON.stringify(r.body)}`);
      assert.deepEqual(r.body, { id: 'forbidden', message: `This log token belongs to the add-on ${addon.body.name}; remove the add-on to remove its token.` });
    }
  }
  // Still writes: the partner's input works.
  const posted = await s.postLogs(inputToken, [makeFrame('<190>1 2024-05-01T12:00:00+00:00 host x web.1 - - from the partner')]);
  assert.equal(posted.status, 204);
  // Removing the add-on removes the token.
  assert.equal((await callAs(s.url, limited, 'DELETE', `/apps/tenant-a/addons/${addon.body.id}`)).status, 200);
  const after = await callAs(s.url, limited, 'GET', '/apps/tenant-a/log-tokens');
  assert.ok(!(after.body as Array<{ token: string }>).some((t) => t.token === inputToken));
});

test("another tenant's hostname answers a limited key like any refused name: no existence oracle", async () => {
  assert.equal((await s.api('POST', '/apps/tenant-b/domains', { hostname: 'shop.tenant-b.example' })).status, 201);
  const taken = await callAs(s.url, limited, 'POST', '/apps/tenant-a/domains', { hostname: 'shop.tenant-b.example' });
  const reserved = await callAs(s.url, limited, 'POST', '/apps/tenant-a/domains', { hostname: 'localhost' });
  assert.equal(taken.status, 422);
  assert.deepEqual(taken.body, { id: 'invalid_params', message: 'hostname: shop.tenant-b.example is not available; choose another name.' });
  assert.deepEqual(reserved.body, { id: 'invalid_params', message: 'hostname: localhost is not available; choose another name.' });
  assert.equal(reserved.status, taken.status);
  // The admin, who sees every app, is told where it is; a key's own app says so too.
  const admin = await s.api('POST', '/apps/tenant-a/domains', { hostname: 'shop.tenant-b.example' });
  assert.deepEqual([admin.status, admin.body.message], [409, 'shop.tenant-b.example is already added to tenant-b.']);
  assert.equal((await callAs(s.url, limited, 'POST', '/apps/tenant-a/domains', { hostname: 'www.tenant-a.example' })).status, 201);
  const again = await callAs(s.url, limited, 'POST', '/apps/tenant-a/domains', { hostname: 'www.tenant-a.example' });
  assert.deepEqual([again.status, again.body.message], [409, 'www.tenant-a.example is already added to tenant-a.']);
  // Nothing changed hands.
  const b = await s.api('GET', '/apps/tenant-b/domains');
  assert.deepEqual((b.body as Array<{ hostname: string }>).map((d) => d.hostname), ['shop.tenant-b.example']);
});

test('a log token may not be named like a token (its name replaces the token in every line)', async () => {
  const tok = await s.api('GET', '/apps/tenant-a/log-tokens');
  const value = (tok.body as Array<{ token: string }>)[0].token;
  for (const name of [value, 'd.0b1c2d3e-aaaa-4bbb-8ccc-123456789abc']) {
    const r = await callAs(s.url, limited, 'POST', '/apps/tenant-a/log-tokens', { name });
    assert.equal(r.status, 422, JSON.stringify(r.body));
    assert.match(r.body.message, /must not look like a log or drain token/);
  }
});
