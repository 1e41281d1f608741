// SPEC §10 at connect time: a drain is never dialled at a link-local address, nor at a private one
// under --deny-private-drains, whatever its name resolved to (or the policy was) when it was added.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { guardedLookup } from '../src/drains/address-guard.js';
import {
  harness, httpReceiver, logLine, makeCerts, receiverPool, removeDir, streamReceiver, udpReceiver, until,
  type Certs, type Harness,
} from './drains-support.js';

const pool = receiverPool();
let certs: Certs;
before(() => {
  certs = makeCerts();
});
after(async () => {
  await pool.closeAll();
  removeDir(certs.dir);
});

/** Runs the guarded lookup the way net.connect does (with or without `all`). */
function lookup(host: string, denyPrivate: boolean, all: boolean): Promise<{ err: NodeJS.ErrnoException | null; addresses: LookupAddress[] }> {
  return new Promise((resolve) => {
    guardedLookup(denyPrivate)(host, { all }, (err, address, family) => {
      if (err) return resolve({ err, addresses: [] });
      resolve({ err: null, addresses: Array.isArray(address) ? address : [{ address, family: family ?? 4 }] });
    });
  });
}

test('the guarded lookup refuses link-local always, loopback only when private drains are denied', async () => {
  for (const all of [false, true]) {
    for (const host of ['169.254.169.254', 'fe80::1']) {
      const r = await lookup(host, false, all);
      assert.equal(r.err?.message, `${host} is a link-local address (${host}); drains to it are never allowed`);
    }
    const open = await lookup('localhost', false, all);
    assert.equal(open.err, null);
    assert.ok(open.addresses.length >= 1 && open.addresses.every((a) => a.address === '127.0.0.1' || a.address === '::1'), JSON.stringify(open.addresses));
    const denied = await lookup('localhost', true, all);
    assert.match(denied.err?.message ?? '', /^localhost is a loopback or private address \((127\.0\.0\.1|::1)\); this server denies private drains$/);
    // Lookup failures pass through unchanged.
    const missing = await lookup('no-such-host.invalid', false, all);
    assert.ok(missing.err?.code === 'ENOTFOUND' || missing.err?.code === 'EAI_AGAIN', String(missing.err?.code));
  }
});

/** Every kind of drain, by name and by IP literal, to live receivers on 127.0.0.1. */
async function drainsToLoopback(h: Harness): Promise<{ ids: string[]; received: () => number }> {
  const web = pool.track(await httpReceiver());
  const tcp = pool.track(await streamReceiver());
  const tlsRx = pool.track(await streamReceiver({ tls: { cert: certs.cert, key: certs.key } }));
  const udp = pool.track(await udpReceiver());
  const urls = [
    `http://localhost:${web.port}/by-name`,
    `syslog://localhost:${tcp.port}`,
    `syslog+tls://localhost:${tlsRx.port}`,
    `http://127.0.0.1:${web.port}/by-ip`,
    `syslog://127.0.0.1:${tcp.port}`,
    `syslog+udp://127.0.0.1:${udp.port}`,
  ];
  const ids: string[] = [];
  for (const u of urls) ids.push((await h.addDrain(u)).id);
  return { ids, received: () => web.requests.length + tcp.connections + tlsRx.connections + udp.datagrams.length };
}

test('with private drains denied, drains added before (or past the check) are never dialled, and say why', { timeout: 30_000 }, async () => {
  const h = await harness({ options: { denyPrivate: true }, ca: certs.ca });
  try {
    const { ids, received } = await drainsToLoopback(h);
    for (let i = 0; i < 20; i++) h.manager.deliver(h.appId, logLine(`guarded ${i}`));
    const why = (id: string): string => h.manager.health(id)?.last_error ?? '';
    assert.ok(
      await until(() => ids.every((id) => /^(localhost|127\.0\.0\.1) is a loopback or private address \((127\.0\.0\.1|::1)\); this server denies private drains$/.test(why(id)))),
      ids.map(why).join(' | '),
    );
    assert.equal(received(), 0, 'no receiver was contacted');
    const t = await h.manager.test(ids[0]);
    assert.equal(t?.ok, false);
    assert.match(t?.error ?? '', /^localhost is a loopback or private address/);
  } finally {
    await h.close();
  }
});

test('the same drains deliver when private drains are allowed (the names resolve and the receivers work)', { timeout: 30_000 }, async () => {
  const h = await harness({ ca: certs.ca });
  try {
    const { ids } = await drainsToLoopback(h);
    for (let i = 0; i < 20; i++) h.manager.deliver(h.appId, logLine(`open ${i}`));
    assert.ok(await until(() => ids.every((id) => h.manager.health(id)?.delivered === 20)), ids.map((id) => JSON.stringify(h.manager.health(id))).join('\n'));
  } finally {
    await h.close();
  }
});
