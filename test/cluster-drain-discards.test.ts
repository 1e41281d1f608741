// Cluster mode: lines the drain stream discards (its size limit) before the drain's owner read them are the drain's dropped lines, told in an L10.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { httpReceiver } from './drains-support.js';
import { frame, startCluster, within } from './cluster-support.js';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';

async function consumerState(url: string, drainId: string): Promise<string> {
  const nc = await connect({ servers: url.split(','), timeout: 2_000 });
  try {
    const jsm = await jetstreamManager(nc, { timeout: 2_000 });
    const ci = await jsm.consumers.info('SLUICE_DRAINS', `drain-${drainId}`);
    const si = await jsm.streams.info('SLUICE_DRAINS');
    return JSON.stringify({ pending: ci.num_pending, ack_pending: ci.num_ack_pending, redelivered: ci.num_redelivered, waiting: ci.num_waiting, delivered: ci.delivered, ack_floor: ci.ack_floor, first: si.state.first_seq, last: si.state.last_seq });
  } finally {
    await nc.close();
  }
}

const tail = (m: string): string => m.trimEnd().slice(m.trimEnd().lastIndexOf(' ') + 1);

test('a drain whose receiver is down while the drain stream (64 KiB) overflows: delivered + dropped = sent, the discards counted exactly and told in an L10', async (t) => {
  const c = await startCluster(t, 1, ['--drain-stream-max-bytes', String(64 * 1024), '--ack', 'replicated']);
  if (!c) return;
  t.after(() => c.stop());
  const [a] = c.nodes;
  const rx = await httpReceiver();
  t.after(() => rx.close());
  let up = true;
  rx.respond = (_r, res) => {
    res.writeHead(up ? 200 : 503);
    res.end();
  };
  const token = await a.createAppWithToken('overflow');
  const made = await a.api('POST', '/apps/overflow/log-drains', { url: `http://127.0.0.1:${rx.port}/in` });
  assert.equal(made.status, 201);
  const drainId = made.body.id as string;
  const health = async (): Promise<{ delivered: number; dropped: number }> =>
    (await a.api('GET', `/apps/overflow/log-drains/${drainId}`)).body.health as { delivered: number; dropped: number };

  // The drain delivers; its owner has seen this node's lines. Then the receiver goes down.
  assert.equal((await a.postLogs(token, [frame(token, 'web.1', 'first')])).status, 204);
  assert.ok(await within(15_000, () => rx.frames().some((f) => tail(f) === 'first')), 'the drain delivers');
  up = false;
  // 6,000 lines of ~120 bytes: the owner queues at most 2,000 locally, the stream keeps 64 KiB, the rest is discarded.
  const pad = 'x'.repeat(100);
  const sent: string[] = ['first'];
  for (let r = 0; r < 60; r++) {
    const ids = Array.from({ length: 100 }, (_, i) => `o${r * 100 + i}`);
    assert.equal((await a.postLogs(token, ids.map((id) => frame(token, 'web.1', `${pad} ${id}`)))).status, 204);
    sent.push(...ids);
  }
  // A later line from the same node (a later message: each 204 above means its lines are stored) shows the owner where its lines stopped.
  assert.ok(await within(5_000, async () => (await a.postLogs(token, [frame(token, 'web.1', 'after')])).status === 204));
  sent.push('after');
  await new Promise((r) => setTimeout(r, 500));
  up = true;

  const got = (): string[] => rx.frames().map(tail).filter((m) => m === 'after' || m === 'first' || /^o\d+$/.test(m));
  assert.ok(await within(90_000, () => got().includes('after')), `the last line arrives: ${JSON.stringify(await health())} ${rx.requests.length} requests ${await consumerState(c.nats.url, drainId)}`);
  let h = await health();
  assert.ok(
    await within(15_000, async () => {
      h = await health();
      return h.delivered + h.dropped >= sent.length;
    }),
    `delivered ${h.delivered} + dropped ${h.dropped} = sent ${sent.length}`,
  );
  // The loss is settled once no redelivery can fill it (an ack wait later), and told in an L10
  // in front of the next line the drain sends.
  assert.ok(await within(5_000, async () => (await a.postLogs(token, [frame(token, 'web.1', 'later')])).status === 204));
  assert.ok(await within(30_000, () => rx.frames().some((f) => tail(f) === 'later')), 'a later line arrives');
  const delivered = new Set(got());
  assert.ok(h.dropped > 0, 'the stream discarded lines');
  assert.equal(delivered.size + h.dropped, sent.length, `${delivered.size} distinct lines delivered, ${h.dropped} dropped, ${sent.length} sent`);
  const l10 = rx.frames().map((f) => /Error L10 \(output buffer overflow\): (\d+) messages dropped/.exec(f)).filter((m) => m !== null);
  assert.equal(
    l10.reduce((n, m) => n + Number(m![1]), 0),
    h.dropped,
    'the L10 lines say how many',
  );
  assert.match(String((await a.api('GET', '/metrics')).body), new RegExp(`sluice_cluster_drain_stream_discarded_total ${h.dropped}\\b`));
});
