// Runs the History contract against the JetStream history on a real 3-server NATS cluster, then two writers sharing it.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { NatsLink } from '../engine/nats/link.js';
import { startNats } from '../../test/cluster-nats.js';
import { historyContract, line } from './history.case.js';
import { HISTORY_STREAM, JetStreamHistory, ensureHistoryStream } from './jetstream-history.js';

const nats = await startNats(undefined);
const links: NatsLink[] = [];
after(async () => {
  await Promise.all(links.map((l) => l.close()));
  await nats?.stop();
});

async function link(): Promise<NatsLink> {
  const l = await NatsLink.open({ url: nats!.url });
  links.push(l);
  // A fresh cluster elects its JetStream leaders first: retry the stream for a while.
  for (let i = 0; ; i++) {
    try {
      l.set('ok');
      await ensureHistoryStream(l);
      return l;
    } catch (err) {
      if (i > 60) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

if (nats) {
  historyContract('jetstream', {
    async open() {
      const l = await link();
      await l.parts.jsm.streams.purge(HISTORY_STREAM);
      return new JetStreamHistory(l, { node: 'a' });
    },
    async reopen(old) {
      await old.close();
      // Another connection, as another node or a restarted one would have.
      return new JetStreamHistory(await link(), { node: 'b' });
    },
  });

  test('two writers share one history of exactly the newest 1,500 lines, each writer in its own order', async () => {
    const [la, lb] = [await link(), await link()];
    const [a, b] = [new JetStreamHistory(la, { node: 'a' }), new JetStreamHistory(lb, { node: 'b' })];
    for (let i = 1; i <= 2000; i++) {
      (i % 2 ? a : b).deliver('shared', line(i));
      if (i % 250 === 0) await Promise.all([a.settled(), b.settled()]);
    }
    await a.close();
    await b.close();
    const seen = await new JetStreamHistory(await link(), { node: 'c' }).read('shared', 1500);
    assert.equal(seen.length, 1500);
    assert.equal(new Set(seen.map((l) => l.msg)).size, 1500);
    const n = (l: { msg: string }): number => Number(l.msg.split(' ')[1]);
    const odd = seen.map(n).filter((x) => x % 2 === 1);
    assert.deepEqual(odd, [...odd].sort((x, y) => x - y), "one writer's lines keep their order");
    assert.equal(Math.max(...seen.map(n)), 2000);
  });

  test('settled() resolves only once the lines are in the stream, read by another node', async () => {
    const [la, lb] = [await link(), await link()];
    const a = new JetStreamHistory(la, { node: 'a', flushMs: 60_000 });
    for (let i = 1; i <= 3; i++) a.deliver('acked', line(i));
    await a.settled();
    const other = new JetStreamHistory(lb, { node: 'b' });
    assert.deepEqual((await other.read('acked', 10)).map((l) => l.msg), ['line 1 é✓', 'line 2 é✓', 'line 3 é✓']);
    await a.close();
    await other.close();
  });
}
