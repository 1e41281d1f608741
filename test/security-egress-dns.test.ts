// DNS starvation: drain host names are resolved by c-ares (not getaddrinfo on libuv's 4 shared
// threads) with per-query timeouts, a TTL cache with a floor and ceiling, one query in flight per
// name and a bound on names. A resolver that never answers (a real UDP socket on 127.0.0.1) for
// one app's drains leaves another app's drain delivering every line, and adding a drain whose
// name hangs returns without waiting for DNS.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import dnsPacket from 'dns-packet';
import { newId } from '../src/core/ids.js';
import { DrainResolver, useDrainResolver } from '../src/drains/resolver.js';
import { validateDrainUrl } from '../src/drains/url.js';
import { harness, httpReceiver, logLine, receiverPool, removeDir, tmpDir, until } from './drains-support.js';
import { startDns } from './security-egress-dns-server.js';

const pool = receiverPool();
after(() => pool.closeAll());

/** A DNS server that reads every query and never answers; counts queries per name. */
async function hangingDns(): Promise<{ server: string; perName: Map<string, number>; close(): Promise<void> }> {
  const socket = dgram.createSocket('udp4');
  const perName = new Map<string, number>();
  socket.on('message', (msg) => {
    try {
      const name = dnsPacket.decode(msg).questions?.[0]?.name.toLowerCase() ?? '?';
      perName.set(name, (perName.get(name) ?? 0) + 1);
    } catch {
      /* not DNS: ignored */
    }
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  return { server: `127.0.0.1:${socket.address().port}`, perName, close: () => new Promise<void>((r) => socket.close(() => r())) };
}

test("a hanging resolver for one app's drains: another app's drain delivers every line, and adding a hanging drain returns", { timeout: 60_000 }, async () => {
  const dns = await hangingDns();
  useDrainResolver(new DrainResolver({ servers: [dns.server], timeoutMs: 400, tries: 2 }));
  const h = await harness();
  try {
    const rx = pool.track(await httpReceiver());
    // The attacker's app: ten drains (the per-app maximum) whose names never resolve.
    const slow: string[] = [];
    for (let i = 0; i < 5; i++) {
      slow.push((await h.addDrain(`syslog://slow${i}.hang.test:601`)).id);
      slow.push((await h.addDrain(`http://slow${i}.hang.test/logs`)).id);
    }
    // The healthy app's drain, by name (localhost: answered without DNS and without the thread pool).
    const healthyApp = newId();
    const now = new Date().toISOString();
    await h.store.putApp({ id: healthyApp, name: 'healthy-app', created_at: now, updated_at: now });
    const healthy = (await h.addDrain(`http://localhost:${rx.port}/ok`, { app_id: healthyApp })).id;

    // Lines for both apps while the attacker's lookups hang, in rounds, as traffic arrives.
    for (let round = 0; round < 8; round++) {
      for (let i = 0; i < 10; i++) {
        h.manager.deliver(h.appId, logLine(`attack ${round}.${i}`));
        h.manager.deliver(healthyApp, logLine(`healthy ${round}.${i}`));
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(await until(() => h.manager.health(healthy)?.delivered === 80, 10_000), JSON.stringify(h.manager.health(healthy)));
    assert.equal(rx.frames().filter((f) => f.includes('healthy ')).length, 80);
    // The slow drains really asked the hanging server, and say why they cannot deliver.
    assert.ok(await until(() => slow.every((id) => /DNS did not answer for slow\d\.hang\.test/.test(h.manager.health(id)?.last_error ?? '')), 15_000),
      slow.map((id) => h.manager.health(id)?.last_error).join('\n'));
    for (let i = 0; i < 5; i++) assert.ok((dns.perName.get(`slow${i}.hang.test`) ?? 0) > 0, `slow${i} was asked`);

    // Adding a drain whose name hangs answers (accepted: DNS may change; every connection checks again).
    const asked = dns.perName.get('new.hang.test') ?? 0;
    const check = await validateDrainUrl('https://new.hang.test/logs', { denyPrivate: true });
    assert.deepEqual(check, { ok: true, url: 'https://new.hang.test/logs', kind: 'https' });
    assert.ok((dns.perName.get('new.hang.test') ?? 0) > asked, 'it was resolved (and DNS did not answer)');
    // One query in flight per name, failures remembered: the ten drains' retries did not flood DNS.
    for (let i = 0; i < 5; i++) assert.ok((dns.perName.get(`slow${i}.hang.test`) ?? 0) <= 12, `slow${i}: ${dns.perName.get(`slow${i}.hang.test`)} queries`);
  } finally {
    await h.close();
    await dns.close();
  }
});

test('answers are cached for their TTL (with a floor), concurrent lookups share one query, hosts-file names skip DNS', async () => {
  const dns = await startDns({ 'cached.dns.test': { A: ['192.0.2.10'], AAAA: ['2001:db8::10'], ttl: 1 } });
  const dir = tmpDir('sluice-hosts-');
  const hostsFile = path.join(dir, 'hosts');
  writeFileSync(hostsFile, '# test hosts\n127.0.0.1 receiver.internal other.internal\n::1 receiver.internal\n');
  try {
    const r = new DrainResolver({ servers: [dns.server], hostsFile, minTtlMs: 60_000 });
    const all = await Promise.all(Array.from({ length: 20 }, () => r.resolve('cached.dns.test')));
    for (const a of all) assert.deepEqual(a, [{ address: '192.0.2.10', family: 4 }, { address: '2001:db8::10', family: 6 }]);
    assert.deepEqual(dns.queries.filter((q) => q.startsWith('cached.dns.test')).sort(), ['cached.dns.test A', 'cached.dns.test AAAA']);
    await new Promise((res) => setTimeout(res, 1_200)); // past the record's 1 s TTL, within the floor
    await r.resolve('CACHED.dns.test.');
    assert.equal(dns.queries.filter((q) => q.startsWith('cached.dns.test')).length, 2, 'served from the cache');
    assert.deepEqual(await r.resolve('receiver.internal'), [{ address: '127.0.0.1', family: 4 }, { address: '::1', family: 6 }]);
    await assert.rejects(r.resolve('missing.dns.test'), { code: 'ENOTFOUND' });
    await assert.rejects(r.resolve('nothing.invalid'), { code: 'ENOTFOUND' });
    assert.ok(!dns.queries.some((q) => /internal|invalid/.test(q)), dns.queries.join(', '));
    assert.deepEqual(await r.resolve('2852039166'), [{ address: '169.254.169.254', family: 4 }], 'numeric hosts are literals');
  } finally {
    removeDir(dir);
    await dns.close();
  }
});
