// DNS starvation: drain host names are resolved by c-ares (not getaddrinfo on libuv's 4 shared
// threads) with per-query timeouts, a TTL cache with a floor and ceiling, one query in flight per
// name and a bound on names. A resolver that never answers (a real UDP socket on 127.0.0.1) for
// one app's drains leaves another app's drain delivering every line, and adding a drain whose
// name hangs returns without waiting for DNS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DrainResolver } from '../src/drains/resolver.js';
import { removeDir, tmpDir } from './drains-support.js';
import { startDns } from './security-egress-dns-server.js';
import { findProgram, skipOrFail } from './helpers/external.js';
import { starvationScenario } from './security-egress-dns-scenario.js';

test("a hanging resolver for one app's drains: another app's drain delivers every line, and adding a hanging drain returns", { timeout: 60_000 }, () =>
  starvationScenario({ explicit: true }),
);

// The same attack on the system's resolver, as a default install meets it: inside a network and
// mount namespace made for the test, resolv.conf names a server on 127.0.0.1:53 that never
// answers. getaddrinfo (dns.lookup) would hold libuv's 4 threads for every retry and starve the
// healthy drain (and the spool's file I/O); the drain resolver must not.
test('the same with the system resolver (resolv.conf) hanging, in a namespace of its own', { timeout: 120_000 }, (t) => {
  const unshare = findProgram('unshare');
  const ip = findProgram('ip');
  if (!unshare || !ip) return void skipOrFail(t, 'unshare and ip (util-linux, iproute2)', 'they make the network namespace');
  const dir = tmpDir('sluice-resolv-');
  try {
    const resolv = path.join(dir, 'resolv.conf');
    writeFileSync(resolv, 'nameserver 127.0.0.1\noptions timeout:5 attempts:2\n');
    const child = fileURLToPath(new URL('./security-egress-dns-ns-child.js', import.meta.url));
    const r = spawnSync(unshare, ['-n', '-m', 'sh', '-c', `${ip} link set lo up && mount --bind "$1" /etc/resolv.conf && exec "$2" "$3"`, 'sh', resolv, process.execPath, child], {
      encoding: 'utf8',
      timeout: 110_000,
    });
    if (r.status !== 0 && /unshare failed|Operation not permitted/.test(r.stderr)) return void skipOrFail(t, 'a network namespace', `unshare refused: ${r.stderr.trim()}`);
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /^starvation scenario passed$/m);
  } finally {
    removeDir(dir);
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
