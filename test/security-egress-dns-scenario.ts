// The DNS starvation scenario, shared by the test with an explicit resolver and the one run in a
// network namespace whose system resolver (resolv.conf) is the hanging server: ten drains of one
// app whose names never resolve, and another app's drain that must deliver every line meanwhile.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';
import { newId } from '../src/core/ids.js';
import { DrainResolver, useDrainResolver } from '../src/drains/resolver.js';
import { validateDrainUrl } from '../src/drains/url.js';
import { harness, httpReceiver, logLine, receiverPool, until } from './drains-support.js';

/** A DNS server that reads every query and never answers; counts queries per name. */
export async function hangingDns(port = 0): Promise<{ server: string; perName: Map<string, number>; close(): Promise<void> }> {
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
  await new Promise<void>((r) => socket.bind(port, '127.0.0.1', r));
  return { server: `127.0.0.1:${socket.address().port}`, perName, close: () => new Promise<void>((r) => socket.close(() => r())) };
}

/**
 * The scenario against a hanging DNS server on `port` (0: any), asked explicitly (`explicit`) or as
 * the system's resolver (resolv.conf names it; only inside a namespace that owns port 53).
 */
export async function starvationScenario(o: { port?: number; explicit: boolean }): Promise<void> {
  const pool = receiverPool();
  const dns = await hangingDns(o.port);
  useDrainResolver(new DrainResolver({ servers: o.explicit ? [dns.server] : undefined, timeoutMs: 400, tries: 2 }));
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
    await pool.closeAll();
  }
}

