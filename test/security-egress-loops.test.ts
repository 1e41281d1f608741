// Drain loops: a drain may not point at the node's own listeners (any loopback/unspecified
// spelling, `localhost`, the public URL) — 422; and a loop that gets past that check (a DNS name
// that later resolves to the node itself; a second node of the same cluster) is broken in-band:
// input carrying one of our own drain tokens or Frame-Ids is dropped and counted, so one seed line
// stays one — also through a relay (a real nginx) that strips the drain token header.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster } from './cluster-support.js';
import { callAs } from './addons-fake-partner.js';
import { makeFrame, rfc5424, sendTcp, sendUdp, startSluice, waitUntil, type Sluice } from './helpers/sluice.js';
import { startDns, type TestDns } from './security-egress-dns-server.js';
import { startNginx } from './helpers/nginx.js';

let s: Sluice;
let dns: TestDns;
let limited: string;
let token: string;

before(async () => {
  dns = await startDns({});
  s = await startSluice({ args: ['--drain-dns-servers', dns.server] });
  token = await s.createAppWithToken('looper');
  const key = await s.api('POST', '/api-keys', { name: 'looper-bot', apps: ['looper'] });
  limited = `Bearer ${key.body.key as string}`;
});
after(async () => {
  await Promise.all([s?.stop(), dns?.close()]);
});

/** A counter from /metrics (summed over its series). */
async function metric(node: Sluice, name: string): Promise<number> {
  const text = await (await fetch(`${node.url}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) sum += Number(line.split(' ').pop());
  return sum;
}

test("drains to the node's own listeners are refused in every spelling (422), with no token in the message", async () => {
  const h = s.httpPort;
  const urls = [
    `http://token:${token}@127.0.0.1:${h}/logs`,
    `http://token:${token}@[::ffff:127.0.0.1]:${h}/logs`,
    `http://token:${token}@localhost:${h}/logs`,
    `http://token:${token}@LOCALHOST.:${h}/logs`,
    `http://token:${token}@127.0.0.2:${h}/logs`,
    `http://token:${token}@2130706433:${h}/logs`,
    `http://token:${token}@0.0.0.0:${h}/logs`,
    `http://token:${token}@[::]:${h}/logs`,
    `http://token:${token}@[::1]:${h}/logs`,
    `https://127.0.0.1:${h}/logs`,
    `syslog://127.0.0.1:${s.syslogPort}`,
    `syslog://0x7f.1:${s.syslogPort}`,
    `syslog+udp://[::ffff:7f00:1]:${s.syslogPort}`,
  ];
  for (const url of urls) {
    const r = await callAs(s.url, limited, 'POST', '/apps/looper/log-drains', { url });
    assert.equal(r.status, 422, `${url}: ${JSON.stringify(r.body)}`);
    assert.match(r.body.message, /^Invalid drain URL: .+ is (one of this Sluice server's own listeners \(.+\)|this Sluice server \(its public URL\)); a drain to itself would send every line back into the app \(a loop\)\.$/, url);
    assert.ok(!String(r.body.message).includes(token), 'the token is not echoed');
  }
  // Another port on loopback is someone else's receiver: allowed (private drains are not denied here).
  assert.equal((await callAs(s.url, limited, 'POST', '/apps/looper/log-drains', { url: 'http://127.0.0.1:9/other' })).status, 201);
  const list = await s.api('GET', '/apps/looper/log-drains');
  for (const d of list.body as Array<{ id: string }>) await s.api('DELETE', `/apps/looper/log-drains/${d.id}`);
});

test('a drain to the --public-url host and port is refused', async () => {
  const p = await startSluice({ args: ['--public-url', 'https://logs.sluice.invalid'] });
  try {
    await p.createAppWithToken('pub');
    for (const url of ['https://logs.sluice.invalid/logs', 'https://LOGS.sluice.invalid:443/x', 'http://logs.sluice.invalid:443/logs']) {
      const r = await p.api('POST', '/apps/pub/log-drains', { url });
      assert.equal(r.status, 422, url);
      assert.match(r.body.message, /logs\.sluice\.invalid:443 is this Sluice server \(its public URL\)/i);
    }
    // Another port of the same host is not this server.
    assert.equal((await p.api('POST', '/apps/pub/log-drains', { url: 'https://logs.sluice.invalid:8443/x' })).status, 201);
  } finally {
    await p.stop();
  }
});

test('two drains whose names later resolve to the node itself: a seed line is dropped as a loop, not routed for ever', { timeout: 60_000 }, async () => {
  // Names unknown when the drains are added (accepted: DNS may change), then pointed at this node.
  for (const name of ['one.rebind.test', 'two.rebind.test']) {
    const r = await callAs(s.url, limited, 'POST', '/apps/looper/log-drains', { url: `http://token:${token}@${name}:${s.httpPort}/logs` });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  }
  for (const name of ['one.rebind.test', 'two.rebind.test']) dns.records.set(name, { A: ['127.0.0.1'], ttl: 1 });
  await new Promise((r) => setTimeout(r, 5_500)); // the resolver's negative cache (5 s) expires

  const routedBefore = await metric(s, 'sluice_lines_routed_total');
  assert.equal((await s.postLogs(token, [makeFrame(rfc5424(token, 'web.1', 'seed line'))])).status, 204);
  // Both drains deliver what they hold (their audit lines and the seed) to POST /logs, which
  // recognises their tokens and drops it.
  const drains = (await s.api('GET', '/apps/looper/log-drains')).body as Array<{ id: string }>;
  const settled = async (): Promise<boolean> => {
    for (const d of drains) {
      const h = (await s.api('GET', `/apps/looper/log-drains/${d.id}`)).body.health;
      if (h.queued !== 0 || h.delivered < 2) return false;
    }
    return (await metric(s, 'sluice_loop_lines_dropped_total')) >= 4;
  };
  assert.ok(await waitUntil(settled, 30_000), s.output());
  await new Promise((r) => setTimeout(r, 1_000));
  const routed = (await metric(s, 'sluice_lines_routed_total')) - routedBefore;
  await new Promise((r) => setTimeout(r, 1_000));
  const routedLater = (await metric(s, 'sluice_lines_routed_total')) - routedBefore;
  assert.equal(routed, 1, 'only the seed line was routed');
  assert.equal(routedLater, routed, 'nothing more is routed once input stops');
  const lines = await s.readLogs('looper');
  assert.equal(lines.filter((l) => l.includes('seed line')).length, 1, lines.join('\n'));
  // Reported in the server log, by drain id (never the token), rate-limited.
  const reports = s.output().split('\n').filter((l) => l.includes('drain loop broken'));
  assert.ok(reports.length >= 1 && reports.length <= 2, reports.join('\n'));
  assert.ok(!s.output().includes(token), 'the server log holds no token');
});

test('two nodes of one cluster draining into each other: a seed line does not loop', { timeout: 90_000 }, async (t) => {
  const c = await startCluster(t, 2);
  if (!c) return;
  try {
    const [a, b] = c.nodes;
    const tok = await a.createAppWithToken('pingpong');
    // Through A a drain to B's POST /logs, through B one to A's: neither is the creating node's own listener.
    assert.equal((await a.api('POST', '/apps/pingpong/log-drains', { url: `http://token:${tok}@127.0.0.1:${b.httpPort}/logs` })).status, 201);
    assert.equal((await b.api('POST', '/apps/pingpong/log-drains', { url: `http://token:${tok}@127.0.0.1:${a.httpPort}/logs` })).status, 201);
    await new Promise((r) => setTimeout(r, 1_000)); // both nodes follow the configuration
    const routed = async (): Promise<number> => (await metric(a, 'sluice_lines_routed_total')) + (await metric(b, 'sluice_lines_routed_total'));
    const before = await routed();
    assert.equal((await a.postLogs(tok, [makeFrame(rfc5424(tok, 'web.1', 'ping seed'))])).status, 204);
    assert.ok(
      await waitUntil(async () => (await metric(a, 'sluice_loop_lines_dropped_total')) + (await metric(b, 'sluice_loop_lines_dropped_total')) >= 2, 20_000),
      `${a.output()}\n${b.output()}`,
    );
    await new Promise((r) => setTimeout(r, 1_000));
    const first = (await routed()) - before;
    await new Promise((r) => setTimeout(r, 1_500));
    const later = (await routed()) - before;
    assert.ok(first <= 2, `routed ${first} lines for one seed`);
    assert.equal(later, first, 'nothing more is routed once input stops');
  } finally {
    await c.stop();
  }
});

test("syslog input whose HOSTNAME is one of our drain tokens (a syslog drain's frames) is dropped as a loop", { timeout: 30_000 }, async () => {
  const tok = await s.createAppWithToken('syslog-looper');
  const d = await s.api('POST', '/apps/syslog-looper/log-drains', { url: 'syslog://receiver.loop.invalid:601' });
  assert.equal(d.status, 201, JSON.stringify(d.body));
  const before = await metric(s, 'sluice_loop_lines_dropped_total');
  // What our syslog drain writes (HOSTNAME d.<token>), arriving with a valid log token; then a control line.
  const looped = `<190>1 2024-05-01T12:00:00+00:00 ${d.body.token as string} ${tok} web.1 - - came back through syslog`;
  const normal = `<190>1 2024-05-01T12:00:01+00:00 host ${tok} web.1 - - sent by a producer`;
  await sendTcp(s.syslogPort, [makeFrame(looped), makeFrame(normal)]);
  await sendUdp(s.syslogPort, [looped]);
  assert.ok(await waitUntil(async () => (await metric(s, 'sluice_loop_lines_dropped_total')) - before === 2, 10_000));
  const lines = await s.waitForLogs('syslog-looper', (ls) => ls.some((l) => l.includes('sent by a producer')));
  assert.ok(lines.some((l) => l.includes('sent by a producer')), lines.join('\n'));
  assert.ok(!lines.some((l) => l.includes('came back through syslog')), lines.join('\n'));
});

test('a drain through a relay that strips Logplex-Drain-Token (a real nginx) back into the app: the Frame-Id gives the loop away', { timeout: 60_000 }, async (t) => {
  const tok = await s.createAppWithToken('relayed');
  const ng = await startNginx(
    t,
    (_dir, port) => `  access_log off;
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://127.0.0.1:${s.httpPort};
      proxy_set_header Logplex-Drain-Token "";
    }
  }`,
  );
  if (!ng) return;
  // Read before the drain exists: its first batch (the audit line) may come back before the seed is sent.
  const before = await metric(s, 'sluice_loop_lines_dropped_total');
  // Not one of the node's listeners (another port): accepted, as a relay in front of it would be.
  const d = await s.api('POST', '/apps/relayed/log-drains', { url: `http://token:${tok}@127.0.0.1:${ng.port}/logs` });
  assert.equal(d.status, 201, JSON.stringify(d.body));
  assert.equal((await s.postLogs(tok, [makeFrame(rfc5424(tok, 'web.1', 'relayed seed'))])).status, 204);
  const health = async (): Promise<{ delivered: number; queued: number }> => (await s.api('GET', `/apps/relayed/log-drains/${d.body.id as string}`)).body.health;
  // The drain delivers its audit line and the seed through nginx; POST /logs knows the Frame-Id's tag.
  assert.ok(
    await waitUntil(async () => (await metric(s, 'sluice_loop_lines_dropped_total')) - before >= 2 && (await health()).queued === 0, 30_000),
    `looped lines dropped: ${(await metric(s, 'sluice_loop_lines_dropped_total')) - before}; health ${JSON.stringify(await health())}`,
  );
  await new Promise((r) => setTimeout(r, 1_500));
  const settled = (await health()).delivered;
  await new Promise((r) => setTimeout(r, 1_500));
  assert.equal((await health()).delivered, settled, 'the drain delivers nothing more once input stops');
  const lines = await s.readLogs('relayed');
  assert.equal(lines.filter((l) => l.includes('relayed seed')).length, 1, lines.join('\n'));
  assert.ok(s.output().split('\n').some((l) => l.includes('drain loop broken') && l.includes('"via":"frame-id"')), s.output());
});
