// HTTP(S) drains against real node:http(s) receivers on 127.0.0.1: bytes, headers, retry policy,
// timeouts, TLS verification and L14, loss accounting while the receiver is down.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { VERSION } from '../src/core/version.js';
import {
  accounted, freePort, harness, httpReceiver, l10Count, logLine, makeCerts, removeDir, sleep, splitFrames, until,
  receiverPool, type Certs, type Harness, type HttpReceiver,
} from './drains-support.js';

const T = { timeout: 30_000 };

describe('HTTP drains', () => {
  let h: Harness;
  let certs: Certs;
  const receivers = receiverPool();
  const rx = async (o: Parameters<typeof httpReceiver>[0] = {}): Promise<HttpReceiver> => receivers.track(await httpReceiver(o));

  before(async () => {
    certs = makeCerts();
    h = await harness({ ca: certs.ca });
  });
  after(async () => {
    await h.close();
    await receivers.closeAll();
    removeDir(certs.dir);
  });

  test('byte-exact body and SPEC §4.1 headers, Basic auth from the URL, UTF-8 and trailing newlines', T, async () => {
    const r = await rx();
    const d = await h.addDrain(`http://us%40er:p%3Ass@127.0.0.1:${r.port}/logs/in?x=1&y=%20#frag`);
    h.manager.deliver(h.appId, logLine('State changed from starting to up', { pri: 40, time: '2012-11-30T06:45:29+00:00', procid: 'web.3', msgid: 'ID47', sd: '[a b="c"]' }));
    h.manager.deliver(h.appId, logLine('ends in a newline\n', { time: '2024-01-01T00:00:00.000000+00:00' }));
    h.manager.deliver(h.appId, logLine('ünïcödé ✓ 日本語', { time: '2024-01-01T00:00:00.000001+00:00', source: 'heroku', procid: 'router' }));
    assert.ok(await until(() => r.requests.length >= 1), 'a request arrived');
    const req = r.requests[0];
    assert.equal(req.method, 'POST');
    assert.equal(req.url, '/logs/in?x=1&y=%20');
    const expectedBody =
      '83 <40>1 2012-11-30T06:45:29+00:00 host app web.3 - State changed from starting to up\n' +
      '75 <190>1 2024-01-01T00:00:00.000000+00:00 host app web.1 - ends in a newline\n' +
      `${Buffer.byteLength('<190>1 2024-01-01T00:00:00.000001+00:00 host heroku router - ünïcödé ✓ 日本語\n')} <190>1 2024-01-01T00:00:00.000001+00:00 host heroku router - ünïcödé ✓ 日本語\n`;
    assert.equal(req.body.toString('utf8'), expectedBody);
    // Header names and values as sent, in SPEC order (undici adds host/connection first and content-length last).
    const names: string[] = [];
    const values = new Map<string, string>();
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      names.push(req.rawHeaders[i]);
      values.set(req.rawHeaders[i].toLowerCase(), req.rawHeaders[i + 1]);
    }
    const specOrder = ['Authorization', 'Content-Type', 'Logplex-Msg-Count', 'Logplex-Frame-Id', 'Logplex-Drain-Token', 'User-Agent'];
    assert.deepEqual(names.filter((n) => specOrder.includes(n)), specOrder, names.join(','));
    assert.equal(values.get('authorization'), `Basic ${Buffer.from('us@er:p:ss').toString('base64')}`);
    assert.equal(values.get('content-type'), 'application/logplex-1');
    assert.equal(values.get('logplex-msg-count'), '3');
    assert.match(values.get('logplex-frame-id') ?? '', /^[0-9A-F]{32}$/);
    assert.equal(values.get('logplex-drain-token'), d.token);
    assert.equal(values.get('user-agent'), `Logplex/v72 (compatible; Sluice/${VERSION})`);
    assert.equal(values.get('host'), `127.0.0.1:${r.port}`);
    assert.equal(values.get('content-length'), String(Buffer.byteLength(expectedBody)));
    assert.ok(await until(() => h.manager.health(d.id)?.delivered === 3));
    const health = h.manager.health(d.id)!;
    assert.equal(health.state, 'delivering');
    assert.ok(health.last_success_at);
    await h.store.deleteDrain(d.id);
  });

  test('no Authorization header without userinfo', T, async () => {
    const r = await rx();
    const d = await h.addDrain(`http://127.0.0.1:${r.port}`);
    h.manager.deliver(h.appId, logLine('x'));
    assert.ok(await until(() => r.requests.length >= 1));
    assert.equal(r.requests[0].url, '/');
    assert.equal(r.requests[0].headers.authorization, undefined);
    await h.store.deleteDrain(d.id);
  });

  test('500 is retried with the same Frame-Id and the same bytes, then delivered', T, async () => {
    const r = await rx();
    let n = 0;
    r.respond = (_req, res) => {
      res.writeHead(++n <= 2 ? 500 : 200);
      res.end();
    };
    const d = await h.addDrain(`http://127.0.0.1:${r.port}/`);
    for (let i = 0; i < 5; i++) h.manager.deliver(h.appId, logLine(`retry me ${i}`));
    assert.ok(await until(() => h.manager.health(d.id)?.delivered === 5), JSON.stringify(h.manager.health(d.id)));
    assert.equal(r.requests.length, 3);
    const ids = r.requests.map((q) => q.headers['logplex-frame-id']);
    assert.equal(new Set(ids).size, 1, `one Frame-Id across retries: ${ids.join(' ')}`);
    assert.ok(r.requests.every((q) => q.body.equals(r.requests[0].body)));
    assert.equal(h.manager.health(d.id)!.dropped, 0);
    await h.store.deleteDrain(d.id);
  });

  test('404 drops the batch, counts it, and reports it as L10 first in the next request', T, async () => {
    const r = await rx();
    let n = 0;
    r.respond = (_req, res) => {
      res.writeHead(++n === 1 ? 404 : 200);
      res.end();
    };
    const d = await h.addDrain(`http://127.0.0.1:${r.port}/`);
    for (let i = 0; i < 3; i++) h.manager.deliver(h.appId, logLine(`lost ${i}`));
    assert.ok(await until(() => h.manager.health(d.id)?.dropped === 3));
    assert.equal(r.requests.length, 1, 'a 4xx is not retried');
    h.manager.deliver(h.appId, logLine('after the loss'));
    assert.ok(await until(() => r.requests.length === 2));
    await sleep(200);
    assert.equal(r.requests.length, 2);
    const second = r.requests[1];
    assert.equal(second.headers['logplex-msg-count'], '2');
    const frames = splitFrames(second.body);
    assert.match(frames[0], /^<172>1 \S+ host heroku logplex - Error L10 \(output buffer overflow\): 3 messages dropped since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00\.\n$/);
    assert.match(frames[1], / - after the loss\n$/);
    assert.notEqual(second.headers['logplex-frame-id'], r.requests[0].headers['logplex-frame-id']);
    const hh = h.manager.health(d.id)!;
    assert.equal(hh.delivered, 1);
    assert.equal(hh.dropped, 3);
    await h.store.deleteDrain(d.id);
  });

  test('429 with Retry-After: 2 → nothing is sent for 2 s, then the same frame', T, async () => {
    const r = await rx();
    let n = 0;
    r.respond = (_req, res) => {
      if (++n === 1) res.writeHead(429, { 'Retry-After': '2' });
      else res.writeHead(204);
      res.end();
    };
    const d = await h.addDrain(`http://127.0.0.1:${r.port}/`);
    h.manager.deliver(h.appId, logLine('slow down'));
    assert.ok(await until(() => r.requests.length === 1));
    const t0 = r.requests[0].at;
    h.manager.deliver(h.appId, logLine('more while waiting'));
    await sleep(1_800);
    assert.equal(r.requests.length, 1, 'nothing within the Retry-After period');
    assert.ok(await until(() => r.requests.length >= 2, 5_000));
    assert.ok(r.requests[1].at - t0 >= 1_950, `waited ${r.requests[1].at - t0} ms`);
    assert.equal(r.requests[1].headers['logplex-frame-id'], r.requests[0].headers['logplex-frame-id']);
    assert.equal(h.manager.health(d.id)?.state === 'delivering' || r.requests.length >= 2, true);
    await h.store.deleteDrain(d.id);
  });

  test('a receiver that never answers → request timeout, then a retry with the same Frame-Id', T, async () => {
    const r = await rx();
    let n = 0;
    r.respond = (_req, res) => {
      if (++n === 1) return; // hang: never answer
      res.writeHead(200);
      res.end();
    };
    const d = await h.addDrain(`http://127.0.0.1:${r.port}/`);
    h.manager.deliver(h.appId, logLine('are you there'));
    assert.ok(await until(() => r.requests.length >= 2, 10_000));
    assert.equal(r.requests[0].headers['logplex-frame-id'], r.requests[1].headers['logplex-frame-id']);
    assert.ok(await until(() => h.manager.health(d.id)?.delivered === 1));
    assert.match(h.manager.health(d.id)!.last_error ?? '', /timeout|no response/i);
    await h.store.deleteDrain(d.id);
  });

  test('TLS receiver with a certificate for another name → no data sent, L14 in the app log without the password', T, async () => {
    const r = await rx({ tls: { cert: certs.wrongCert, key: certs.wrongKey } });
    const d = await h.addDrain(`https://user:hunter2@localhost:${r.port}/logs`);
    h.manager.deliver(h.appId, logLine('secret data'));
    assert.ok(await until(() => h.appLog.some((l) => l.msg.startsWith('Error L14'))), 'L14 written');
    await sleep(2_000);
    assert.equal(r.requests.length, 0, 'no request reached the receiver');
    const l14 = h.appLog.find((l) => l.msg.startsWith('Error L14'))!;
    assert.equal(l14.source, 'heroku');
    assert.equal(l14.procid, 'logplex');
    assert.equal(l14.msg, `Error L14 (certificate validation): error="hostname mismatch" uri="https://localhost:${r.port}/logs"`);
    assert.equal(h.appLog.filter((l) => l.msg.startsWith('Error L14')).length, 1, 'one L14 per interval, not one per retry');
    const hh = h.manager.health(d.id)!;
    assert.equal(hh.state, 'failing');
    assert.ok(!JSON.stringify(hh).includes('hunter2'));
    await h.store.deleteDrain(d.id);
  });

  test('#insecure delivers to the same receiver; a proper certificate from --drain-ca-file is verified', T, async () => {
    const wrong = await rx({ tls: { cert: certs.wrongCert, key: certs.wrongKey } });
    const good = await rx({ tls: { cert: certs.cert, key: certs.key } });
    const d1 = await h.addDrain(`https://localhost:${wrong.port}/#insecure`);
    const d2 = await h.addDrain(`https://localhost:${good.port}/`);
    h.manager.deliver(h.appId, logLine('over tls'));
    assert.ok(await until(() => wrong.requests.length === 1 && good.requests.length === 1));
    assert.match(splitFrames(wrong.requests[0].body)[0], / - over tls\n$/);
    assert.match(splitFrames(good.requests[0].body)[0], / - over tls\n$/);
    await h.store.deleteDrain(d1.id);
    await h.store.deleteDrain(d2.id);
  });
});

describe('HTTP drain loss accounting', () => {
  test('a receiver down while 5,000 lines arrive: they wait in the spool and all arrive in order, 0 dropped', { timeout: 60_000 }, async () => {
    const h = await harness({ queue: { memoryBytes: 64 * 1024 } });
    const port = await freePort();
    let r: HttpReceiver | undefined;
    try {
      const d = await h.addDrain(`http://127.0.0.1:${port}/`);
      for (let i = 1; i <= 5000; i++) h.manager.deliver(h.appId, logLine(`line ${i}`));
      assert.ok(await until(() => (h.manager.health(d.id)?.consecutive_failures ?? 0) >= 2), 'the drain noticed the receiver is down');
      assert.notEqual(h.manager.health(d.id)!.state, 'delivering');
      assert.ok(await until(() => (h.manager.health(d.id)?.spool_lines ?? 0) === 5000), 'all queued lines reached the spool');
      r = await httpReceiver({ port });
      const rr = r;
      assert.ok(await until(() => rr.frames().length === 5000, 20_000), `${rr.frames().length} frames`);
      const frames = rr.frames();
      assert.ok(frames.every((f, i) => f.endsWith(` - line ${i + 1}\n`)), 'every line once, in order, no L10');
      assert.ok(await until(() => accounted(h, d.id) === 5000), `delivered + dropped = ${accounted(h, d.id)}`);
      const hh = h.manager.health(d.id)!;
      assert.equal(hh.dropped, 0);
      assert.equal(hh.state, 'delivering');
      assert.equal(hh.queued, 0);
      assert.ok(r.requests.every((q) => q.body.length <= 102_400 + 200 && splitFrames(q.body).length <= 1001));
    } finally {
      await h.close();
      await r?.close();
    }
  });

  test('past the memory budget with no spool, the oldest are dropped: newest lines plus one L10, delivered + dropped = 5000', { timeout: 60_000 }, async () => {
    const h = await harness({ memoryOnly: true, queue: { memoryBytes: 64 * 1024 } });
    const port = await freePort();
    let r: HttpReceiver | undefined;
    try {
      const d = await h.addDrain(`http://127.0.0.1:${port}/`);
      for (let i = 1; i <= 5000; i++) h.manager.deliver(h.appId, logLine(`line ${i}`));
      assert.ok(await until(() => (h.manager.health(d.id)?.consecutive_failures ?? 0) >= 2), 'the drain noticed the receiver is down');
      r = await httpReceiver({ port });
      const rr = r;
      const total = (): { lines: string[]; dropped: number; l10s: number } => {
        const frames = rr.frames();
        const l10 = frames.filter((f) => l10Count(f) > 0);
        return { lines: frames.filter((f) => l10Count(f) === 0), dropped: l10.reduce((a, f) => a + l10Count(f), 0), l10s: l10.length };
      };
      assert.ok(await until(() => total().lines.length + total().dropped === 5000, 20_000), JSON.stringify({ ...total(), lines: total().lines.length }));
      const t = total();
      assert.equal(t.l10s, 1, 'exactly one L10');
      assert.ok(t.dropped > 0 && t.lines.length > 0);
      // What arrived is the newest lines, in order, ending with the last.
      const firstKept = 5000 - t.lines.length + 1;
      assert.ok(t.lines.every((f, i) => f.endsWith(` - line ${firstKept + i}\n`)));
      assert.ok(await until(() => accounted(h, d.id) === 5000), `delivered + dropped = ${accounted(h, d.id)}`);
      const hh = h.manager.health(d.id)!;
      assert.equal(hh.dropped, t.dropped);
      assert.equal(hh.queued, 0);
      const first = r.requests.find((q) => splitFrames(q.body).some((f) => l10Count(f) > 0))!;
      assert.ok(l10Count(splitFrames(first.body)[0]) > 0);
      assert.equal(Number(first.headers['logplex-msg-count']), splitFrames(first.body).length);
    } finally {
      await h.close();
      await r?.close();
    }
  });
});
