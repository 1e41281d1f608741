// Cluster mode: three real `sluice serve` nodes on a 3-server NATS JetStream cluster share
// configuration, history, sessions and live tails.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { httpReceiver, splitFrames, type HttpReceiver } from './drains-support.js';
import { sendTcp, sendUdp, rfc5424 } from './helpers/sluice.js';
import { frame, openTail, readAll, sessionUrl, startCluster, within, type Cluster } from './cluster-support.js';

describe('cluster of three nodes', () => {
  let c: Cluster | undefined;
  before(async (t) => {
    c = await startCluster(t as never, 3);
  });
  after(async () => {
    await c?.stop();
  });

  test('an app made on A takes lines on B; a session created on A opens on C and shows them', async (t) => {
    if (!c) return t.skip('no nats-server');
    const [a, b, cc] = c.nodes;
    const token = await a.createAppWithToken('shop');
    assert.ok(
      await within(1_000, async () => (await b.postLogs(token, [frame(token, 'web.1', 'hello from B')])).status === 204),
      'B knows the token within a second',
    );
    // B writes its history behind (every 50 ms); C reads it from the stream.
    let lines: string[] = [];
    assert.ok(
      await within(1_000, async () => {
        lines = await readAll(await sessionUrl(a, cc, 'shop', { lines: 10 }));
        return lines.some((l) => l.endsWith('app[web.1]: hello from B'));
      }),
      lines.join('\n'),
    );
    // The API answers on every node, from the same configuration.
    assert.equal((await cc.api('GET', '/apps/shop')).body.name, 'shop');
    assert.equal((await b.api('POST', '/apps', { name: 'shop' })).status, 409);
  });

  test('a tail on A sees lines posted to B and syslog sent to C, with its filter', async (t) => {
    if (!c) return t.skip('no nats-server');
    const [a, b, cc] = c.nodes;
    const token = await b.createAppWithToken('tails');
    await within(1_000, async () => (await a.api('GET', '/apps/tails')).status === 200 && (await cc.api('GET', '/apps/tails')).status === 200);
    const tail = await openTail(await sessionUrl(a, a, 'tails', { tail: true, lines: 0, dyno: 'web' }));
    t.after(() => tail.close());
    assert.equal((await b.postLogs(token, [frame(token, 'worker.1', 'not for this tail'), frame(token, 'web.2', 'posted to B')])).status, 204);
    assert.ok(await tail.waitFor('app[web.2]: posted to B'), tail.text());
    await sendTcp(cc.syslogPort, `${rfc5424(token, 'web.3', 'syslog to C')}\n`);
    await sendUdp(cc.syslogPort, [rfc5424(token, 'web.4', 'udp to C')]);
    assert.ok(await tail.waitFor('app[web.3]: syslog to C'), tail.text());
    assert.ok(await tail.waitFor('app[web.4]: udp to C'), tail.text());
    assert.ok(!tail.text().includes('not for this tail'), 'the filter applies to lines from other nodes');
    assert.equal(tail.text().split('posted to B').length, 2, 'each line once');
  });

  test('a drain added through A gets lines posted to B; removing it on C stops it everywhere', async (t) => {
    if (!c) return t.skip('no nats-server');
    const [a, b, cc] = c.nodes;
    let rx: HttpReceiver | undefined = await httpReceiver();
    t.after(() => rx?.close());
    const token = await a.createAppWithToken('drained');
    const added = await a.api('POST', '/apps/drained/log-drains', { url: `http://127.0.0.1:${rx.port}/in` });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const msgs = (): string[] => rx!.requests.flatMap((r) => splitFrames(r.body));
    // B starts its own worker for the drain within a second of A's write.
    let i = 0;
    assert.ok(
      await within(2_000, async () => {
        await b.postLogs(token, [frame(token, 'web.1', `to drain ${i++}`)]);
        return msgs().some((m) => m.includes('to drain'));
      }),
      'lines posted to B reach the drain',
    );
    assert.ok(rx.requests.every((r) => r.headers['logplex-drain-token'] === added.body.token));

    const removed = await cc.api('DELETE', `/apps/drained/log-drains/${added.body.id}`);
    assert.equal(removed.status, 200);
    await new Promise((r) => setTimeout(r, 1_000)); // "in force on every node within a second"
    const before = rx.requests.length;
    for (const n of [a, b, cc]) assert.equal((await n.postLogs(token, [frame(token, 'web.1', 'after removal')])).status, 204);
    await new Promise((r) => setTimeout(r, 1_000));
    const late = rx.requests.slice(before).flatMap((r) => splitFrames(r.body));
    assert.deepEqual(late.filter((m) => m.includes('after removal')), [], 'no node delivers to a removed drain');
    await rx.close();
    rx = undefined;
  });
});
