// SSRF through address spellings: every form of a link-local (or, denied, private) address —
// IPv4-mapped, -compatible and NAT64 IPv6, decimal/octal/hex/short IPv4, unspecified, and host
// names whose DNS answers are such forms — is refused for http, syslog and syslog+udp drains, for
// partners' log_drain_url answers and drain moves, and for add-on base URLs (at registration and
// at call time). Nothing is dialled: refusals happen before any socket is opened (these addresses
// are never given a packet; a test receiver on 127.0.0.1 proves allowed forms still deliver).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { callPartner } from '../src/addons/client.js';
import { DrainResolver, useDrainResolver } from '../src/drains/resolver.js';
import { harness, until, streamReceiver, receiverPool, logLine } from './drains-support.js';
import { basic, callAs, startFakePartner, type FakePartner } from './addons-fake-partner.js';
import { startSluice, type Sluice } from './helpers/sluice.js';
import { startDns, type TestDns } from './security-egress-dns-server.js';

/** Spellings of 169.254.169.254 (and fe80::1), each a way past a naive check. */
const LINK_LOCAL = [
  '169.254.169.254',
  '[::ffff:169.254.169.254]',
  '[::ffff:a9fe:a9fe]',
  '[0:0:0:0:0:ffff:169.254.169.254]',
  '[::169.254.169.254]',
  '[64:ff9b::169.254.169.254]',
  '[2002:a9fe:a9fe::1]',
  '2852039166',
  '0xa9.0xfe.0xa9.0xfe',
  '0251.0376.0251.0376',
  '169.254.43518',
  '169.254.169.254.',
  '[fe80::1]',
  'meta.evil.test',
  'mapped.evil.test',
  'nat64.evil.test',
];
/** Loopback, private and unspecified spellings: refused under --deny-private-drains. */
const PRIVATE = [
  '[::ffff:127.0.0.1]',
  '[::ffff:10.0.0.5]',
  '[::ffff:a00:5]',
  '[::10.0.0.5]',
  '[64:ff9b::10.0.0.5]',
  '10.0.0.5',
  '012.0.0.5',
  '167772165',
  '127.1',
  '2130706433',
  '0x7f.0.0.1',
  '0.0.0.0',
  '[::]',
  '[::1]',
  '[fd00::5]',
  'private.evil.test',
  'loop.evil.test',
];
const KINDS = (host: string): string[] => [`http://${host}/logs?token=SECRET`, `syslog://${host}:601`, `syslog+udp://${host}:514`];

let dns: TestDns;
let open: Sluice;
let denied: Sluice;
let partner: FakePartner;
const pool = receiverPool();

before(async () => {
  dns = await startDns({
    'meta.evil.test': { A: ['169.254.169.254'] },
    'mapped.evil.test': { AAAA: ['::ffff:169.254.169.254'] },
    'nat64.evil.test': { AAAA: ['64:ff9b::a9fe:a9fe'] },
    'private.evil.test': { A: ['10.0.0.5'] },
    'loop.evil.test': { AAAA: ['::ffff:127.0.0.1'] },
  });
  const args = ['--drain-dns-servers', dns.server];
  [open, denied, partner] = await Promise.all([
    startSluice({ args: [...args, '--addon-timeout-ms', '3000'] }),
    startSluice({ args: [...args, '--deny-private-drains'] }),
    startFakePartner('ssrf-partner', 'partner-password-1'),
  ]);
  await open.createAppWithToken('ssrf-open');
  await denied.createAppWithToken('ssrf-denied');
});
after(async () => {
  await Promise.all([open?.stop(), denied?.stop(), partner?.close(), dns?.close(), pool.closeAll()]);
});

async function refusals(s: Sluice, app: string, hosts: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const host of hosts) {
    for (const url of KINDS(host)) {
      const r = await s.api('POST', `/apps/${app}/log-drains`, { url });
      assert.equal(r.status, 422, `${url} was not refused: ${r.status} ${JSON.stringify(r.body)}`);
      assert.equal(r.body.id, 'invalid_params');
      out.set(url, String(r.body.message));
    }
  }
  const left = await s.api('GET', `/apps/${app}/log-drains`);
  assert.deepEqual(left.body, [], 'no drain was created');
  return out;
}

test('every spelling of a link-local address is refused (422, naming the reason) for http, syslog and syslog+udp, without --deny-private-drains', async () => {
  const messages = await refusals(open, 'ssrf-open', LINK_LOCAL);
  for (const [url, m] of messages) {
    assert.match(m, /^Invalid drain URL: .+ is a link-local address \((169\.254\.169\.254|fe80::1)(, written as an? (IPv4-mapped|IPv4-compatible|NAT64|6to4) IPv6 address)?\); drains to it are never allowed\.$/, url);
    assert.ok(!m.includes('SECRET'), 'no query secret in the message');
  }
  assert.match(messages.get('http://[::ffff:a9fe:a9fe]/logs?token=SECRET')!, /\[::ffff:a9fe:a9fe\] is a link-local address \(169\.254\.169\.254, written as an IPv4-mapped IPv6 address\)/);
  assert.match(messages.get('syslog://2852039166:601')!, /2852039166 is a link-local address \(169\.254\.169\.254\)/);
  assert.match(messages.get('syslog+udp://mapped.evil.test:514')!, /mapped\.evil\.test is a link-local address \(169\.254\.169\.254, written as an IPv4-mapped IPv6 address\)/);
  assert.ok(dns.queries.some((q) => q.startsWith('nat64.evil.test')), 'host names were resolved through the drain resolver');
  assert.ok(!dns.queries.some((q) => /^(2852039166|0xa9|0251|169\.254)/.test(q)), `numeric hosts never go to DNS: ${dns.queries.join(', ')}`);
});

test('under --deny-private-drains every loopback, private and unspecified spelling is refused too', async () => {
  const ll = await refusals(denied, 'ssrf-denied', LINK_LOCAL);
  for (const m of ll.values()) assert.match(m, /link-local address/);
  const messages = await refusals(denied, 'ssrf-denied', PRIVATE);
  for (const [url, m] of messages) {
    assert.match(
      m,
      /^Invalid drain URL: .+ is (a loopback or private address|an unspecified address, which reaches this machine) \((127\.0\.0\.1|10\.0\.0\.5|0\.0\.0\.0|::|::1|fd00::5)(, written as an? (IPv4-mapped|IPv4-compatible|NAT64) IPv6 address)?\); this server denies private drains\.$/,
      url,
    );
  }
  assert.match(messages.get('http://[::ffff:10.0.0.5]/logs?token=SECRET')!, /\(10\.0\.0\.5, written as an IPv4-mapped IPv6 address\)/);
  assert.match(messages.get('syslog://[::]:601')!, /an unspecified address/);
  assert.match(messages.get('syslog+udp://loop.evil.test:514')!, /loop\.evil\.test is a loopback or private address \(127\.0\.0\.1, written as an IPv4-mapped IPv6 address\)/);
});

test('the dialers refuse every spelling at connect time, for drains that got into the store some other way', { timeout: 30_000 }, async () => {
  useDrainResolver(new DrainResolver({ servers: [dns.server] }));
  const rx = pool.track(await streamReceiver());
  const cases: Array<{ deny: boolean; hosts: string[]; reason: RegExp }> = [
    { deny: false, hosts: LINK_LOCAL, reason: /is a link-local address \((169\.254\.169\.254|fe80::1)/ },
    { deny: true, hosts: PRIVATE, reason: /this server denies private drains$/ },
  ];
  for (const c of cases) {
    const h = await harness({ options: { denyPrivate: c.deny } });
    try {
      const ids: string[] = [];
      for (const host of c.hosts) for (const url of KINDS(host)) ids.push((await h.addDrain(url)).id);
      // A drain to a real receiver, by the decimal spelling of 127.0.0.1: allowed forms still work.
      const ok = c.deny ? undefined : (await h.addDrain(`syslog://2130706433:${rx.port}`)).id;
      for (let i = 0; i < 3; i++) h.manager.deliver(h.appId, logLine(`probe ${i}`));
      const why = (id: string): string => h.manager.health(id)?.last_error ?? '';
      assert.ok(await until(() => ids.every((id) => c.reason.test(why(id)))), ids.map((id) => `${h.store.getDrain(id)?.url}: ${why(id)}`).filter((s) => !c.reason.test(s)).join('\n'));
      for (const id of ids) assert.equal(h.manager.health(id)?.delivered, 0);
      if (ok) assert.ok(await until(() => h.manager.health(ok)?.delivered === 3), JSON.stringify(h.manager.health(ok)));
    } finally {
      await h.close();
    }
  }
});

test("a partner's log_drain_url answer and its drain moves are held to the same policy", { timeout: 30_000 }, async () => {
  assert.equal((await open.api('POST', '/addon-services', partner.manifest())).status, 201);
  for (const bad of ['https://[::ffff:169.254.169.254]/in', 'syslog+udp://[::ffff:a9fe:a9fe]:514', 'syslog+tls://0251.0376.0251.0376:6514', 'https://meta.evil.test/in']) {
    partner.behave((req) => (req.method === 'POST' ? { status: 200, body: { id: 'bad-1', config: {}, log_drain_url: bad } } : { status: 200, body: {} }));
    const before = partner.seen.length;
    const r = await open.api('POST', '/apps/ssrf-open/addons', { plan: 'ssrf-partner' });
    assert.equal(r.status, 422, `${bad}: ${r.status} ${JSON.stringify(r.body)}`);
    assert.match(r.body.message, /link-local address \(169\.254\.169\.254/);
    assert.ok(partner.seen.slice(before).some((s) => s.method === 'DELETE' && s.path.endsWith('/bad-1')), 'the partner was told to remove what it made');
  }
  // A good provision, then moves to the same addresses.
  partner.behave((req) => (req.method === 'POST' ? { status: 200, body: { id: 'good-1', config: {}, log_drain_url: 'https://logs.partner.invalid/in' } } : { status: 200, body: {} }));
  const made = await open.api('POST', '/apps/ssrf-open/addons', { plan: 'ssrf-partner' });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const auth = basic(partner.id, partner.password);
  const drains = await callAs(open.url, auth, 'GET', `/addons/${made.body.id}/log-drains`);
  assert.equal(drains.status, 200);
  const drainId = drains.body[0].id as string;
  for (const bad of ['https://[::ffff:a9fe:a9fe]/in', 'syslog://2852039166:601', 'syslog+udp://nat64.evil.test:514', 'https://[fe80::1]/x']) {
    const r = await callAs(open.url, auth, 'PUT', `/addons/${made.body.id}/log-drains/${drainId}`, { url: bad });
    assert.equal(r.status, 422, `${bad}: ${JSON.stringify(r.body)}`);
    assert.match(r.body.message, /link-local address \((169\.254\.169\.254|fe80::1)/);
  }
  const after = await callAs(open.url, auth, 'GET', `/addons/${made.body.id}/log-drains`);
  assert.equal(after.body[0].url, 'https://logs.partner.invalid/in', 'the drain did not move');
  assert.equal((await open.api('DELETE', `/apps/ssrf-open/addons/${made.body.id}`)).status, 200);
});

test('add-on base URLs on link-local addresses are refused at registration and never called', async () => {
  const manifest = (base: string, id: string): unknown => {
    const m = partner.manifest() as { id: string; api: { production: { base_url: string } } };
    return { ...m, id, api: { ...m.api, config_vars: [], production: { base_url: base } } };
  };
  let n = 0;
  for (const base of ['https://[::ffff:169.254.169.254]/heroku', 'https://[::ffff:a9fe:a9fe]/x', 'https://2852039166/x', 'https://[fe80::1]/x', 'https://meta.evil.test/heroku', 'https://mapped.evil.test/heroku', 'http://[::ffff:169.254.169.254]/x']) {
    const r = await open.api('POST', '/addon-services', manifest(base, `ll-partner-${++n}`));
    assert.equal(r.status, 422, `${base}: ${JSON.stringify(r.body)}`);
    assert.match(r.body.message, /^Invalid manifest: api\.production\.base_url: .+ is a link-local address \((169\.254\.169\.254|fe80::1).*partner calls to it are never allowed\.$/, base);
  }
  // At call time too: DNS may answer differently later, and the stored manifest is checked again.
  useDrainResolver(new DrainResolver({ servers: [dns.server] }));
  const policy = { timeoutMs: 2_000, attempts: 2, retryDelayMs: 10 };
  for (const baseUrl of ['https://meta.evil.test/heroku', 'http://[::ffff:a9fe:a9fe]/x', 'https://0xa9.0xfe.0xa9.0xfe/x', 'https://nat64.evil.test/x']) {
    const reply = await callPartner({ id: 'p', password: 'partner-password-1', baseUrl }, 'POST', undefined, { uuid: 'u' }, policy);
    assert.equal(reply.ok, false);
    assert.match((reply as { reason: string }).reason, /^could not be called: .+ is a link-local address \(169\.254\.169\.254.*partner calls to it are never allowed$/, baseUrl);
  }
});
