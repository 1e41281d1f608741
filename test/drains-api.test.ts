// The drains API, CLI and delivery through a real `sluice serve` process: validation, lookups by
// id/url/token, health, test action, audit lines, metrics, `sluice drains*`, graceful stop.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startSluice, runSluiceCli, rfc5424, makeFrame, waitUntil, type Sluice } from './helpers/sluice.js';
import { httpReceiver, makeCerts, receiverPool, removeDir, sleep, until, type Certs, type HttpReceiver } from './drains-support.js';

const T = { timeout: 60_000 };

describe('drains through sluice serve', () => {
  let s: Sluice;
  let certs: Certs;
  const receivers = receiverPool();
  const rx = async (o: Parameters<typeof httpReceiver>[0] = {}): Promise<HttpReceiver> => receivers.track(await httpReceiver(o));

  before(async () => {
    certs = makeCerts();
    s = await startSluice({ args: ['--max-drains-per-app', '3', '--drain-ca-file', certs.caFile] });
  });
  after(async () => {
    await s.stop();
    await receivers.closeAll();
    removeDir(certs.dir);
  });

  test('create, validate, look up by id/url/token, delete; one api line per change', T, async () => {
    await s.createAppWithToken('drainsapi');
    const url = 'https://user:hunter2@localhost/logs?x=1';
    const created = await s.api('POST', '/apps/drainsapi/log-drains', { url });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const d = created.body;
    assert.equal(d.url, url, 'the app manager sees the URL with its password');
    assert.match(d.token, /^d\.[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.deepEqual(Object.keys(d).sort(), ['addon', 'app', 'created_at', 'id', 'token', 'updated_at', 'url']);
    assert.equal(d.addon, null);
    assert.equal(d.app.name, 'drainsapi');

    const dup = await s.api('POST', '/apps/drainsapi/log-drains', { url });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.id, 'conflict');
    assert.ok(!JSON.stringify(dup.body).includes('hunter2'));

    for (const [bad, reason] of [
      ['ftp://localhost', /unsupported scheme "ftp"/],
      ['syslog+tls://169.254.169.254:6514', /link-local/],
      ['https://[fe80::1]/x', /link-local/],
      ['nonsense', /not a URL/],
      ['syslog://localhost#insecure', /#insecure/],
    ] as const) {
      const r = await s.api('POST', '/apps/drainsapi/log-drains', { url: bad });
      assert.equal(r.status, 422, bad);
      assert.equal(r.body.id, 'invalid_params');
      assert.match(r.body.message, reason);
    }
    assert.equal((await s.api('POST', '/apps/drainsapi/log-drains', {})).status, 422);

    for (const u of ['syslog+tls://localhost:6514#insecure', 'syslog+udp://127.0.0.1:5514']) {
      assert.equal((await s.api('POST', '/apps/drainsapi/log-drains', { url: u })).status, 201, u);
    }
    const over = await s.api('POST', '/apps/drainsapi/log-drains', { url: 'syslog://localhost' });
    assert.equal(over.status, 422);
    assert.match(over.body.message, /maximum number of drains allowed \(3\)/);

    const list = await s.api('GET', '/apps/drainsapi/log-drains');
    assert.equal(list.body.length, 3);
    assert.ok(list.body.every((x: { health?: unknown }) => x.health === undefined), 'no health in the plain list');
    // `?health=1` (the console's poll): the same drains, each with the single GET's health.
    const withHealth = await s.api('GET', '/apps/drainsapi/log-drains?health=1');
    assert.deepEqual(withHealth.body.map((x: { id: string }) => x.id), list.body.map((x: { id: string }) => x.id));
    for (const x of withHealth.body as { id: string; health: Record<string, unknown> }[]) {
      const one = (await s.api('GET', `/apps/drainsapi/log-drains/${x.id}`)).body;
      assert.deepEqual(Object.keys(x.health).sort(), Object.keys(one.health).sort(), x.id);
      assert.equal(x.health.state, one.health.state);
    }

    for (const key of [d.id, d.token, url]) {
      const one = await s.api('GET', `/apps/drainsapi/log-drains/${encodeURIComponent(key)}`);
      assert.equal(one.status, 200, key);
      assert.equal(one.body.id, d.id);
      assert.deepEqual(Object.keys(one.body.health).sort(), [
        'consecutive_failures', 'corrupt', 'delivered', 'dropped', 'last_error', 'last_error_at', 'last_success_at', 'memory_bytes', 'memory_lines',
        'oldest_queued_age_ms', 'queued', 'queued_bytes', 'resent', 'spool_bytes', 'spool_lines', 'spool_share', 'spooled', 'state',
      ]);
    }
    assert.equal((await s.api('GET', '/apps/drainsapi/log-drains/d.nope')).status, 404);

    const del = await s.api('DELETE', `/apps/drainsapi/log-drains/${encodeURIComponent(url)}`);
    assert.equal(del.status, 200);
    assert.equal(del.body.url, url);
    assert.equal((await s.api('GET', `/apps/drainsapi/log-drains/${d.id}`)).status, 404);

    const lines = await s.waitForLogs('drainsapi', (ls) => ls.filter((l) => l.includes('heroku[api]:') && l.includes('drain')).length >= 4);
    const api = lines.filter((l) => l.includes('heroku[api]:') && /drain/.test(l));
    assert.ok(api.some((l) => /Added drain https:\/\/localhost\/logs\?x=\[redacted\] \([0-9a-f-]{36}\) by admin$/.test(l)), api.join('\n'));
    assert.ok(api.some((l) => /Removed drain https:\/\/localhost\/logs\?x=\[redacted\] \([0-9a-f-]{36}\) by admin$/.test(l)), api.join('\n'));
    assert.ok(!lines.join('\n').includes('hunter2'), 'no password in the app log');
  });

  test('delivery end to end: POST /logs → HTTP drain, byte-exact, health and metrics', T, async () => {
    const token = await s.createAppWithToken('drainse2e');
    const r = await rx();
    const created = await s.api('POST', '/apps/drainse2e/log-drains', { url: `http://user:hunter2@127.0.0.1:${r.port}/in` });
    assert.equal(created.status, 201);
    const d = created.body;
    const frames = [
      makeFrame(rfc5424(token, 'web.1', 'hello drain', '2024-05-01T12:00:00.000001+00:00')),
      makeFrame(rfc5424(token, 'web.2', 'ünïcödé ✓\n', '2024-05-01T12:00:00.000002+00:00')),
    ];
    assert.equal((await s.postLogs(token, frames)).status, 204);
    assert.ok(await until(() => r.frames().filter((f) => !f.includes('heroku api')).length >= 2));
    const got = r.frames().filter((f) => f.includes(' app web.'));
    assert.deepEqual(got, [
      '<190>1 2024-05-01T12:00:00.000001+00:00 host app web.1 - hello drain\n',
      '<190>1 2024-05-01T12:00:00.000002+00:00 host app web.2 - ünïcödé ✓\n',
    ]);
    const withApp = r.requests.find((q) => q.body.includes('hello drain'))!;
    assert.equal(withApp.headers['logplex-drain-token'], d.token);
    assert.equal(withApp.headers.authorization, `Basic ${Buffer.from('user:hunter2').toString('base64')}`);
    assert.ok(await waitUntil(async () => (await s.api('GET', `/apps/drainse2e/log-drains/${d.id}`)).body.health.delivered >= 2, 10_000));
    const one = await s.api('GET', `/apps/drainse2e/log-drains/${d.id}`);
    assert.equal(one.body.health.state, 'delivering');
    assert.equal(one.body.health.dropped, 0);

    const metrics = await fetch(`${s.url}/metrics`).then((x) => x.text());
    assert.match(metrics, new RegExp(`sluice_drain_delivered_messages_total\\{drain="${d.id}",kind="http"\\} \\d+`));
    assert.match(metrics, new RegExp(`sluice_drain_queued_messages\\{drain="${d.id}",kind="http"\\} 0`));
    assert.ok(!metrics.includes('hunter2') && !metrics.includes('127.0.0.1:' + r.port), 'no URL or password in metrics');

    const t = await s.api('POST', `/apps/drainse2e/log-drains/${d.id}/actions/test`);
    assert.equal(t.status, 200);
    assert.equal(t.body.ok, true);
    assert.equal(t.body.connected, true);
    assert.equal(t.body.status, 200);
    assert.equal(t.body.tls, null);
    assert.ok(r.frames().some((f) => f.includes('Test message from Sluice')));
    assert.ok(!JSON.stringify(t.body).includes('hunter2'));
  });

  test('test action on a TLS drain with the wrong certificate answers what happened and writes L14', T, async () => {
    await s.createAppWithToken('drainstls');
    const wrong = await rx({ tls: { cert: certs.wrongCert, key: certs.wrongKey } });
    const good = await rx({ tls: { cert: certs.cert, key: certs.key } });
    const bad = (await s.api('POST', '/apps/drainstls/log-drains', { url: `https://localhost:${wrong.port}/x` })).body;
    const ok = (await s.api('POST', '/apps/drainstls/log-drains', { url: `https://localhost:${good.port}/x` })).body;
    const t1 = await s.api('POST', `/apps/drainstls/log-drains/${bad.id}/actions/test`);
    assert.equal(t1.body.ok, false);
    assert.deepEqual(t1.body.tls, { verified: false, insecure: false }, JSON.stringify(t1.body));
    assert.match(t1.body.error, /certificate: hostname mismatch/);
    const t2 = await s.api('POST', `/apps/drainstls/log-drains/${ok.id}/actions/test`);
    assert.equal(t2.body.ok, true, JSON.stringify(t2.body));
    assert.deepEqual(t2.body.tls, { verified: true, insecure: false });
    const lines = await s.waitForLogs('drainstls', (ls) => ls.some((l) => l.includes('Error L14')));
    assert.ok(
      lines.some((l) => l.endsWith(`heroku[logplex]: Error L14 (certificate validation): error="hostname mismatch" uri="https://localhost:${wrong.port}/x"`)),
      lines.join('\n'),
    );
    assert.equal(wrong.requests.length, 0);
  });

  test('sluice drains, drains:add, drains:remove, drains:test', T, async () => {
    await s.createAppWithToken('drainscli');
    const r = await rx();
    const url = `http://127.0.0.1:${r.port}/cli`;
    const add = await runSluiceCli(['drains:add', url, '-a', 'drainscli'], s);
    assert.equal(add.code, 0, add.stderr);
    assert.equal(add.stdout, `Successfully added drain ${url}\n`);
    const list = await runSluiceCli(['drains', '-a', 'drainscli'], s);
    assert.equal(list.code, 0, list.stderr);
    const drains = (await s.api('GET', '/apps/drainscli/log-drains')).body;
    assert.match(list.stdout, new RegExp(`^=== Drains\\n\\n${url.replace(/[./]/g, '\\$&')} \\(${drains[0].token}\\)\\n  (delivering|retrying|failing) · delivered \\d+ · dropped \\d+ · queued \\d+ · `));
    const json = await runSluiceCli(['drains', '-a', 'drainscli', '--json'], s);
    assert.deepEqual(JSON.parse(json.stdout), drains);
    const tst = await runSluiceCli(['drains:test', drains[0].token, '-a', 'drainscli'], s);
    assert.equal(tst.code, 0, tst.stderr + tst.stdout);
    assert.match(tst.stdout, /^Delivered: connected · HTTP 200 · \d+ ms\n$/);
    const dup = await runSluiceCli(['drains:add', url, '-a', 'drainscli'], s);
    assert.notEqual(dup.code, 0);
    assert.match(dup.stderr, /Already exists/);
    const rm = await runSluiceCli(['drains:remove', url, '-a', 'drainscli'], s);
    assert.equal(rm.code, 0, rm.stderr);
    assert.equal(rm.stdout, `Successfully removed drain ${url}\n`);
  });
});

describe('sluice serve policies and shutdown', () => {
  test('--deny-private-drains refuses loopback and private addresses', T, async () => {
    const s = await startSluice({ args: ['--deny-private-drains'] });
    try {
      await s.createAppWithToken('denyapp');
      for (const u of ['https://127.0.0.1/x', 'syslog://10.0.0.8:601', 'syslog+tls://192.168.1.1:6514', 'https://localhost/x']) {
        const r = await s.api('POST', '/apps/denyapp/log-drains', { url: u });
        assert.equal(r.status, 422, u);
        assert.match(r.body.message, /private/, u);
      }
      const env = await startSluice({ env: { SLUICE_DENY_PRIVATE_DRAINS: 'true' } });
      try {
        await env.createAppWithToken('denyenv');
        assert.equal((await env.api('POST', '/apps/denyenv/log-drains', { url: 'https://127.0.0.1/x' })).status, 422);
      } finally {
        await env.stop();
      }
    } finally {
      await s.stop();
    }
  });

  test('--deny-private-drains also holds for drains added before it was turned on', T, async () => {
    const r = await httpReceiver();
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sluice-deny-'));
    try {
      const before = await startSluice({ dataDir });
      let id: string;
      let token: string;
      try {
        token = await before.createAppWithToken('laterdeny');
        const add = await before.api('POST', '/apps/laterdeny/log-drains', { url: `http://127.0.0.1:${r.port}/` });
        assert.equal(add.status, 201);
        id = add.body.id;
      } finally {
        await before.stop();
      }
      const sentBefore = r.requests.length; // the first node's own lines about the new drain
      const s = await startSluice({ dataDir, args: ['--deny-private-drains'], apiKey: before.apiKey });
      try {
        assert.equal((await s.postLogs(token, [makeFrame(rfc5424(token, 'web.1', 'must not leave'))])).status, 204);
        let health: { last_error: string | null } | null = null;
        for (let i = 0; i < 100 && !health?.last_error; i++) {
          await sleep(50);
          health = (await s.api('GET', `/apps/laterdeny/log-drains/${id}`)).body.health;
        }
        assert.match(health?.last_error ?? '', /^127\.0\.0\.1 is a loopback or private address \(127\.0\.0\.1\); this server denies private drains$/);
        assert.equal(r.requests.length, sentBefore, 'nothing was sent once private drains were denied');
      } finally {
        await s.stop();
      }
    } finally {
      await r.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('SIGTERM stops input, then flushes what the drain buffers hold (slow receiver, 3,000 lines)', T, async () => {
    const s = await startSluice({ args: ['--drain-buffer', '5000'] });
    const r = await httpReceiver();
    try {
      r.respond = (_q, res) => {
        setTimeout(() => {
          res.writeHead(200);
          res.end();
        }, 300);
      };
      const token = await s.createAppWithToken('flushapp');
      assert.equal((await s.api('POST', '/apps/flushapp/log-drains', { url: `http://127.0.0.1:${r.port}/` })).status, 201);
      await sleep(200);
      for (let b = 0; b < 6; b++) {
        const frames = [];
        for (let i = 0; i < 500; i++) frames.push(makeFrame(rfc5424(token, 'web.1', `flush ${b * 500 + i}`)));
        assert.equal((await s.postLogs(token, frames)).status, 204);
      }
      const code = await s.stop();
      assert.equal(code, 0, s.output());
      const got = r.frames().filter((f) => f.includes(' - flush '));
      assert.equal(got.length, 3000, `delivered before exit: ${got.length}`);
      assert.match(got[2999], / - flush 2999\n$/);
      assert.ok(!r.frames().some((f) => f.includes('Error L10')));
    } finally {
      await s.stop();
      await r.close();
    }
  });
});

