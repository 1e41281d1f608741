// Cluster mode: input a node accepted while the engine was away survives kill -9 of that node, on its disk.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startSluice } from './helpers/sluice.js';
import { frame, readAll, sessionUrl, startCluster, within } from './cluster-support.js';
import { httpReceiver } from './drains-support.js';

const last = (l: string): string => l.slice(l.trimEnd().lastIndexOf(' ') + 1).trimEnd();

test('NATS paused, 100 lines acknowledged (204) by a node, that node killed -9, NATS and the node restarted: every line reaches history and the drain; --ack replicated answers 503 meanwhile', async (t) => {
  const c = await startCluster(t, 2);
  if (!c) return;
  t.after(async () => {
    for (const s of c.nats.servers) s.resume();
    await c.stop();
  });
  const [a, b] = c.nodes;
  const replicated = await startSluice({ apiKey: c.apiKey, args: ['--nats-url', c.nats.url, '--ack', 'replicated'] });
  t.after(() => replicated.stop());
  const rx = await httpReceiver();
  t.after(() => rx.close());
  const token = await a.createAppWithToken('spooled');
  assert.equal((await a.api('POST', '/apps/spooled/log-drains', { url: `http://127.0.0.1:${rx.port}/in` })).status, 201);
  for (const n of [b, replicated]) assert.ok(await within(2_000, async () => (await n.postLogs(token, [frame(token, 'web.1', 'before')])).status === 204));
  assert.ok(await within(10_000, () => rx.frames().some((f) => last(f) === 'before')), 'the drain delivers');

  for (const s of c.nats.servers) s.pause();
  const during = Array.from({ length: 100 }, (_, i) => `s${i}`);
  for (const m of during) assert.equal((await b.postLogs(token, [frame(token, 'web.1', m)])).status, 204);
  // With --ack replicated the same window answers 503: nothing is acknowledged that is not replicated.
  const refused = await replicated.postLogs(token, [frame(token, 'web.1', 'not acknowledged')]);
  assert.equal(refused.status, 503);
  // The node reports its input on disk (history and drain lines) before it is killed.
  assert.ok(
    await within(10_000, async () => {
      const spool = (await b.api('GET', '/healthz')).body.engine?.spool as { history_lines: number; drain_lines: number } | undefined;
      return (spool?.history_lines ?? 0) >= during.length && (spool?.drain_lines ?? 0) >= during.length;
    }),
    `the accepted lines are in the engine spool: ${JSON.stringify((await b.api('GET', '/healthz')).body.engine)}`,
  );
  assert.match(String((await b.api('GET', '/metrics')).body), /sluice_engine_spool_lines\{stream="history"\} [1-9]/);
  await b.kill9();
  for (const s of c.nats.servers) s.resume();
  const b2 = await c.add({ dataDir: b.dataDir });
  c.nodes.push(b2);
  assert.match(b2.output(), /engine spool holds input of a previous run/);

  const names = (lines: string[]): Set<string> => new Set(lines.map(last));
  assert.ok(
    await within(30_000, async () => {
      const url = await sessionUrl(a, a, 'spooled', { lines: 1500 }).catch(() => '');
      if (!url) return false;
      const got = names(await readAll(url));
      return during.every((m) => got.has(m));
    }),
    'every line accepted during the pause reached the history',
  );
  assert.ok(
    await within(30_000, () => {
      const got = names(rx.frames());
      return during.every((m) => got.has(m));
    }),
    `every line accepted during the pause reached the drain (${during.filter((m) => !names(rx.frames()).has(m)).length} missing)`,
  );
  const history = (await readAll(await sessionUrl(a, a, 'spooled', { lines: 1500 }))).map(last);
  assert.equal(history.filter((m) => /^s\d+$/.test(m)).length, during.length, 'each line once in the history');
  assert.deepEqual(history.filter((m) => /^s\d+$/.test(m)), during, 'in the order accepted');
  assert.ok(await within(10_000, async () => (await b2.api('GET', '/healthz')).body.engine?.spool?.history_lines === 0), 'the spool is empty again');
});
