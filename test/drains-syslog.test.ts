// Syslog drains (TCP, TLS, UDP) against real receivers on 127.0.0.1: byte-exact frames, TLS with
// SNI and hostname verification, L14, #insecure, reconnects and loss accounting.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  accounted, freePort, harness, l10Count, logLine, makeCerts, removeDir, sleep, splitFrames, streamReceiver, udpReceiver, until,
  receiverPool, type Certs, type Harness, type StreamReceiver,
} from './drains-support.js';

const T = { timeout: 30_000 };

describe('syslog drains', () => {
  let h: Harness;
  let certs: Certs;
  const receivers = receiverPool();
  const rx = async (o: Parameters<typeof streamReceiver>[0] = {}): Promise<StreamReceiver> => receivers.track(await streamReceiver(o));

  before(async () => {
    certs = makeCerts();
    h = await harness({ ca: certs.ca });
  });
  after(async () => {
    await h.close();
    await receivers.closeAll();
    removeDir(certs.dir);
  });

  const expected = (token: string): string => {
    const msgs = [
      `<40>1 2012-11-30T06:45:29+00:00 ${token} app web.3 - - State changed from starting to up\n`,
      `<190>1 2024-01-01T00:00:00.000000+00:00 ${token} app web.1 - - ends in a newline\n`,
      `<190>1 2024-01-01T00:00:00.000001+00:00 ${token} heroku router - - ünïcödé ✓ 日本語\n`,
    ];
    return msgs.map((m) => `${Buffer.byteLength(m)} ${m}`).join('');
  };
  const sendThree = (): void => {
    h.manager.deliver(h.appId, logLine('State changed from starting to up', { pri: 40, time: '2012-11-30T06:45:29+00:00', procid: 'web.3', msgid: 'ID1', sd: '[x y="z"]' }));
    h.manager.deliver(h.appId, logLine('ends in a newline\n', { time: '2024-01-01T00:00:00.000000+00:00' }));
    h.manager.deliver(h.appId, logLine('ünïcödé ✓ 日本語', { time: '2024-01-01T00:00:00.000001+00:00', source: 'heroku', procid: 'router' }));
  };

  test('TCP: byte-exact octet-counted frames with the drain token as HOSTNAME', T, async () => {
    const r = await rx();
    const d = await h.addDrain(`syslog://127.0.0.1:${r.port}`);
    sendThree();
    const want = expected(d.token);
    assert.ok(await until(() => r.data().length >= Buffer.byteLength(want)));
    assert.equal(r.data().toString('utf8'), want);
    // A single known frame, byte for byte (SPEC §4.2 example shape).
    assert.match(want, new RegExp(`^119 <40>1 2012-11-30T06:45:29\\+00:00 ${d.token.replace(/\./g, '\\.')} app web\\.3 - - State`));
    assert.ok(await until(() => h.manager.health(d.id)?.delivered === 3));
    assert.equal(r.connections, 1);
    h.manager.deliver(h.appId, logLine('same connection'));
    assert.ok(await until(() => h.manager.health(d.id)?.delivered === 4));
    assert.equal(r.connections, 1, 'one connection is kept');
    await h.store.deleteDrain(d.id);
  });

  test('TLS: SNI and hostname verified against the extra CA; bytes exact', T, async () => {
    const r = await rx({ tls: { cert: certs.cert, key: certs.key } });
    const d = await h.addDrain(`syslog+tls://localhost:${r.port}`);
    sendThree();
    const want = expected(d.token);
    assert.ok(await until(() => r.data().length >= Buffer.byteLength(want)));
    assert.equal(r.data().toString('utf8'), want);
    assert.deepEqual(r.servernames, ['localhost']);
    await h.store.deleteDrain(d.id);
  });

  test('TLS: a certificate for another name → nothing sent, L14 in the app log, state failing', T, async () => {
    const r = await rx({ tls: { cert: certs.wrongCert, key: certs.wrongKey } });
    const d = await h.addDrain(`syslog+tls://localhost:${r.port}`);
    h.manager.deliver(h.appId, logLine('must not leak'));
    assert.ok(await until(() => h.appLog.some((l) => l.msg.includes(`uri="syslog+tls://localhost:${r.port}"`))), 'L14 written');
    await sleep(2_000);
    assert.equal(r.data().length, 0, 'no application data reached the receiver');
    const l14 = h.appLog.filter((l) => l.msg.includes(`syslog+tls://localhost:${r.port}`));
    assert.equal(l14.length, 1);
    assert.equal(l14[0].msg, `Error L14 (certificate validation): error="hostname mismatch" uri="syslog+tls://localhost:${r.port}"`);
    assert.equal(l14[0].pri, 172);
    assert.equal(h.manager.health(d.id)?.state, 'failing');
    const t = await h.manager.test(d.id);
    assert.equal(t?.ok, false);
    assert.deepEqual(t?.tls, { verified: false, insecure: false });
    assert.match(t?.error ?? '', /certificate/);
    await h.store.deleteDrain(d.id);
  });

  test('TLS: #insecure delivers to the same receiver', T, async () => {
    const r = await rx({ tls: { cert: certs.wrongCert, key: certs.wrongKey } });
    const d = await h.addDrain(`syslog+tls://localhost:${r.port}#insecure`);
    h.manager.deliver(h.appId, logLine('insecure but delivered'));
    assert.ok(await until(() => r.data().includes('insecure but delivered')));
    assert.deepEqual(splitFrames(r.data()).length, 1);
    await h.store.deleteDrain(d.id);
  });

  test('UDP: one unframed message per datagram', T, async () => {
    const u = await udpReceiver();
    receivers.track(u);
    const d = await h.addDrain(`syslog+udp://127.0.0.1:${u.port}`);
    h.manager.deliver(h.appId, logLine('dgram one', { time: '2024-01-01T00:00:00.000000+00:00' }));
    h.manager.deliver(h.appId, logLine('dgram two\n', { time: '2024-01-01T00:00:00.000000+00:00' }));
    assert.ok(await until(() => u.datagrams.length === 2));
    assert.deepEqual(
      u.datagrams.map((b) => b.toString()),
      [
        `<190>1 2024-01-01T00:00:00.000000+00:00 ${d.token} app web.1 - - dgram one\n`,
        `<190>1 2024-01-01T00:00:00.000000+00:00 ${d.token} app web.1 - - dgram two\n`,
      ],
    );
    const t = await h.manager.test(d.id);
    assert.equal(t?.ok, true);
    assert.ok(await until(() => u.datagrams.length === 3));
    assert.match(u.datagrams[2].toString(), /Test message from Sluice/);
    await h.store.deleteDrain(d.id);
  });

  test('moving a drain (same token, new URL) reconnects to the new URL; deleting it stops delivery', T, async () => {
    const a = await rx();
    const b = await rx();
    const d = await h.addDrain(`syslog://127.0.0.1:${a.port}`);
    h.manager.deliver(h.appId, logLine('to a'));
    assert.ok(await until(() => a.data().includes('to a')));
    await h.store.putDrain({ ...d, url: `syslog://127.0.0.1:${b.port}`, updated_at: new Date().toISOString() });
    h.manager.deliver(h.appId, logLine('to b'));
    assert.ok(await until(() => b.data().includes('to b')));
    assert.ok(!a.data().includes('to b'));
    assert.ok(b.data().includes(d.token), 'the token stays');
    await h.store.deleteDrain(d.id);
    assert.equal(h.manager.health(d.id), undefined);
    h.manager.deliver(h.appId, logLine('to nobody'));
    await sleep(300);
    assert.ok(!b.data().includes('to nobody'));
  });
});

describe('syslog drain loss accounting and reconnect', () => {
  test('memory-only queue past its budget while the receiver is down → newest lines and an in-stream L10: delivered + dropped = 3000', { timeout: 60_000 }, async () => {
    const h = await harness({ memoryOnly: true, queue: { memoryBytes: 64 * 1024 } });
    const port = await freePort();
    let r: StreamReceiver | undefined;
    try {
      const d = await h.addDrain(`syslog://127.0.0.1:${port}`);
      for (let i = 1; i <= 3000; i++) h.manager.deliver(h.appId, logLine(`line ${i}`));
      assert.ok(await until(() => (h.manager.health(d.id)?.consecutive_failures ?? 0) >= 2));
      r = await streamReceiver({ port });
      const rr = r;
      const count = () => {
        const frames = splitFrames(rr.data());
        const dropped = frames.reduce((a, f) => a + l10Count(f), 0);
        return { frames, dropped, lines: frames.filter((f) => l10Count(f) === 0) };
      };
      assert.ok(await until(() => count().lines.length + count().dropped === 3000, 20_000), JSON.stringify(h.manager.health(d.id)));
      const c = count();
      assert.ok(c.dropped > 0);
      assert.match(c.frames[0], new RegExp(`^<172>1 \\S+ ${d.token.replace(/\./g, '\\.')} heroku logplex - - Error L10 \\(output buffer overflow\\): ${c.dropped} messages dropped since \\S+\\.\\n$`));
      const firstKept = 3000 - c.lines.length + 1;
      assert.ok(c.lines.every((f, i) => f.endsWith(` - - line ${firstKept + i}\n`)), 'the newest lines, in order');
      // The receiver can read the last frames before the drain's write callback counts them.
      assert.ok(await until(() => accounted(h, d.id) === 3000), `delivered + dropped = ${accounted(h, d.id)}`);
      // The receiver goes away and comes back: the drain reconnects.
      await r.close();
      h.manager.deliver(h.appId, logLine('probe after close'));
      await sleep(300);
      r = await streamReceiver({ port });
      const r2 = r;
      const deadline = Date.now() + 15_000;
      let i = 0;
      while (!r2.data().includes('after restart') && Date.now() < deadline) {
        h.manager.deliver(h.appId, logLine(`after restart ${i++}`));
        await sleep(100);
      }
      assert.ok(r2.data().includes('after restart'), 'delivery resumed on a new connection');
    } finally {
      await h.close();
      await r?.close();
    }
  });
});
