// A syslog receiver that stops reading, then resumes: whole frames, in order, each once, nothing
// dropped — the drain waits (reporting it) instead of cutting the connection mid-frame.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, test } from 'node:test';
import { closeServer, harness, listenOn, logLine, splitFrames, until, type Harness } from './drains-support.js';

let h: Harness | undefined;
after(async () => h?.close());

test('a TCP syslog receiver that stops reading for longer than the send timeout gets every frame whole, in order, once', { timeout: 120_000 }, async () => {
  h = await harness({ options: { sendTimeoutMs: 500 } });
  const chunks: Buffer[] = [];
  let connections = 0;
  let paused: net.Socket | undefined;
  const server = net.createServer((s) => {
    connections++;
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', () => {});
    if (connections === 1) {
      s.pause(); // stops reading: the kernel buffers fill and the sender's writes wait
      paused = s;
    }
  });
  const port = await listenOn(server, 0);
  try {
    const d = await h.addDrain(`syslog://127.0.0.1:${port}`);
    const N = 300_000; // ~35 MB of frames: far past what loopback socket buffers hold
    for (let i = 0; i < N; i++) h.manager.deliver(h.appId, logLine(`line ${i}`));
    const hh = h;
    assert.ok(await until(() => hh.manager.health(d.id)?.state !== 'delivering', 20_000), 'the stalled write is reported');
    assert.ok(await until(() => (hh.manager.health(d.id)?.spool_lines ?? 0) > 0, 10_000), 'the queue spills while the receiver is stalled');
    await new Promise((r) => setTimeout(r, 1_500)); // stalled three times longer than the send timeout
    paused!.resume();
    const count = (): number => chunks.reduce((n, c) => n + c.length, 0);
    assert.ok(await until(() => hh.manager.health(d.id)?.queued === 0 && hh.manager.health(d.id)?.delivered === N, 60_000), JSON.stringify(h.manager.health(d.id)));
    // The kernel took the last bytes before the receiver read them: wait until nothing more comes.
    for (let last = -1, i = 0; i < 50 && count() !== last; i++) {
      last = count();
      await new Promise((r) => setTimeout(r, 300));
    }
    const frames = splitFrames(Buffer.concat(chunks)); // throws on any partial frame
    assert.equal(frames.length, N, 'each line once');
    assert.ok(frames.every((f, i) => f.endsWith(` - - line ${i}\n`)), 'in order');
    const health = h.manager.health(d.id)!;
    assert.equal(health.dropped, 0);
    assert.equal(health.resent, 0);
    assert.equal(health.state, 'delivering');
    assert.equal(connections, 1, 'the connection was never cut');
  } finally {
    await closeServer(server);
  }
});
