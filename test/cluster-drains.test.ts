// Cluster mode drains: one owner per drain, each line delivered once whichever node received it,
// the same health on every node, rules held under concurrent adds, and a dead owner replaced.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { httpReceiver } from './drains-support.js';
import type { Sluice } from './helpers/sluice.js';
import { frame, startCluster, within } from './cluster-support.js';

const tail = (m: string): string => m.trimEnd().slice(m.trimEnd().lastIndexOf(' ') + 1);
const nodeId = async (n: Sluice): Promise<string> => (await n.api('GET', '/healthz')).body.engine.node as string;

test('three nodes: concurrent adds keep the rules; each drain line is delivered once; every node shows the same health', async (t) => {
  const c = await startCluster(t, 3, ['--max-drains-per-app', '3']);
  if (!c) return;
  t.after(() => c.stop());
  const nodes = c.nodes;
  const [a, b, cc] = nodes;
  const rx = await httpReceiver();
  t.after(() => rx.close());
  const token = await a.createAppWithToken('once');
  assert.ok(await within(1_000, async () => (await cc.api('GET', '/apps/once')).status === 200));

  // The same app name and the same drain URL through three nodes at once: exactly one each.
  const apps = await Promise.all(nodes.map((n) => n.api('POST', '/apps', { name: 'twin' })));
  assert.deepEqual(apps.map((r) => r.status).sort(), [201, 409, 409]);
  const url = `http://127.0.0.1:${rx.port}/in`;
  const same = await Promise.all(nodes.map((n) => n.api('POST', '/apps/once/log-drains', { url })));
  assert.deepEqual(same.map((r) => r.status).sort(), [201, 409, 409], JSON.stringify(same.map((r) => r.body)));
  // The limit (3) under concurrent adds: one exists, six more race for two places.
  const more = await Promise.all(Array.from({ length: 6 }, (_, i) => nodes[i % 3].api('POST', '/apps/once/log-drains', { url: `${url}?n=${i}` })));
  assert.equal(more.filter((r) => r.status === 201).length, 2, JSON.stringify(more.map((r) => r.status)));
  assert.ok(more.filter((r) => r.status !== 201).every((r) => r.status === 422));
  for (const n of nodes) assert.ok(await within(1_000, async () => ((await n.api('GET', '/apps/once/log-drains')).body as unknown[]).length === 3));
  for (const r of more.filter((x) => x.status === 201)) assert.equal((await b.api('DELETE', `/apps/once/log-drains/${r.body.id}`)).status, 200);

  const drainId = same.find((r) => r.status === 201)!.body.id as string;
  for (let i = 0; i < 300; i++) assert.equal((await nodes[i % 3].postLogs(token, [frame(token, 'web.1', `d${i}`)])).status, 204);
  const mine = (): string[] => rx.frames().map(tail).filter((m) => /^d\d+$/.test(m));
  assert.ok(await within(15_000, () => new Set(mine()).size === 300), `delivered ${new Set(mine()).size} of 300`);
  await new Promise((r) => setTimeout(r, 1_000));
  assert.equal(mine().length, 300, 'each line once, not once per node');
  const hosts = new Set(rx.requests.map((r) => r.headers['x-forwarded-for'] ?? r.headers['user-agent']));
  assert.ok(hosts.size >= 1);
  // One owner; health and counters are the drain's: the same on every node (within a second).
  assert.ok(
    await within(3_000, async () => {
      const hs = await Promise.all(nodes.map(async (n) => (await n.api('GET', `/apps/once/log-drains/${drainId}`)).body.health));
      return hs.every((h) => h && h.delivered >= 300 && h.owner === hs[0].owner && h.delivered === hs[0].delivered && h.state === 'delivering');
    }),
    'every node reports the same owner and counters',
  );
  // The list with `?health=1` carries the same owner's health on every node.
  for (const n of nodes) {
    const [d] = (await n.api('GET', '/apps/once/log-drains?health=1')).body as { id: string; health: { owner: string; delivered: number } }[];
    assert.equal(d.id, drainId);
    assert.ok(d.health && d.health.delivered >= 300, `${n.url}: health in the list`);
  }
  const ids = await Promise.all(nodes.map(nodeId));
  const h = (await a.api('GET', `/apps/once/log-drains/${drainId}`)).body.health;
  assert.ok(ids.includes(h.owner), 'the owner is one of the nodes');
});

test('kill -9 the drain owner under load: a new owner within 10 s, delivered + dropped = sent, dropped = 0', async (t) => {
  const c = await startCluster(t, 3, ['--ack', 'replicated']);
  if (!c) return;
  t.after(() => c.stop());
  const rx = await httpReceiver();
  t.after(() => rx.close());
  const [a] = c.nodes;
  const token = await a.createAppWithToken('handover');
  const added = await a.api('POST', '/apps/handover/log-drains', { url: `http://127.0.0.1:${rx.port}/in` });
  assert.equal(added.status, 201);
  const drainId = added.body.id as string;
  let owner = '';
  assert.ok(await within(10_000, async () => (owner = (await a.api('GET', `/apps/handover/log-drains/${drainId}`)).body.health?.owner ?? '') !== ''));
  const ids = await Promise.all(c.nodes.map(nodeId));
  const victim = c.nodes[ids.indexOf(owner)];
  const senders = c.nodes.filter((n) => n !== victim);
  for (const n of senders) assert.ok(await within(1_000, async () => (await n.postLogs(token, [])).status === 204));

  let sent = 0;
  let sending = true;
  const load = (async () => {
    for (let i = 0; sending && i < 4_000; i++) {
      const batch = Array.from({ length: 20 }, (_, j) => frame(token, 'web.1', `k${sent + j}`));
      const r = await senders[i % senders.length].postLogs(token, batch);
      if (r.status === 204) sent += 20; // acknowledged (replicated); a 503 is resent by the next round
    }
  })();
  await within(10_000, () => new Set(rx.frames().map(tail)).size > 200);
  await victim.kill9();
  const killed = Date.now();
  let newOwner = '';
  const survivor = senders[0];
  assert.ok(
    await within(10_000, async () => {
      newOwner = (await survivor.api('GET', `/apps/handover/log-drains/${drainId}`)).body.health?.owner ?? '';
      return newOwner !== '' && newOwner !== owner;
    }),
    'another node took the drain within 10 s',
  );
  const tookMs = Date.now() - killed;
  await new Promise((r) => setTimeout(r, 2_000));
  sending = false;
  await load;
  const got = (): Set<string> => new Set(rx.frames().map(tail).filter((m) => /^k\d+$/.test(m)));
  const ok = await within(30_000, () => got().size === sent);
  if (!ok) {
    const missing = Array.from({ length: sent }, (_, i) => `k${i}`).filter((k) => !got().has(k));
    t.diagnostic(`missing ${missing.length}: ${missing.slice(0, 5).join(',')} … ${missing.slice(-5).join(',')}`);
    t.diagnostic(JSON.stringify((await survivor.api('GET', `/apps/handover/log-drains/${drainId}`)).body.health));
    t.diagnostic(senders.map((n) => n.output().split('\n').filter((l) => /drain|warn|error/i.test(l)).join('\n')).join('\n---\n'));
  }
  assert.ok(ok, `delivered ${got().size} unique of ${sent} sent`);
  const health = (await survivor.api('GET', `/apps/handover/log-drains/${drainId}`)).body.health;
  assert.equal(health.dropped, 0);
  const total = rx.frames().map(tail).filter((m) => /^k\d+$/.test(m)).length;
  assert.ok(total - sent <= 5_000, `duplicates bounded: ${total - sent}`);
  t.diagnostic(`sent ${sent}, unique delivered ${got().size}, duplicates ${total - sent} (redelivered counted: ${health.redelivered}), new owner after ${tookMs} ms`);
  assert.ok(health.redelivered >= total - sent - 200, 'duplicates are shown in the drain health');
  // A receiver that de-duplicates by Frame-Id must never drop new lines: one Frame-Id, one body.
  const bodies = new Map<string, string>();
  for (const r of rx.requests) {
    const id = String(r.headers['logplex-frame-id']);
    const body = r.body.toString('latin1');
    assert.equal(bodies.get(id) ?? body, body, `Frame-Id ${id} named two different batches`);
    bodies.set(id, body);
  }
  const again = rx.requests.length - bodies.size;
  t.diagnostic(`${rx.requests.length} requests, ${bodies.size} Frame-Ids (${again} sent again under the same Frame-Id)`);
});
