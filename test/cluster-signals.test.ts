// Cluster mode: /v1/traces and /v1/metrics posted to a node that does not own the telemetry drain reach its receiver through the owner.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { Sluice } from './helpers/sluice.js';
import { otlpHttpReceiver } from './otel-receiver.js';
import { startCluster, within } from './cluster-support.js';

test('three nodes: traces and metrics posted to both nodes that do not own the telemetry drain reach its receiver, byte for byte', async (t) => {
  const c = await startCluster(t, 3);
  if (!c) return;
  t.after(() => c.stop());
  const [a] = c.nodes;
  const rx = await otlpHttpReceiver();
  t.after(() => rx.close());
  const token = await a.createAppWithToken('sig');
  const app = (await a.api('GET', '/apps/sig')).body as { id: string };
  const made = await a.api('POST', '/telemetry-drains', { exporter: { type: 'otlphttp', endpoint: `http://127.0.0.1:${rx.port}`, headers: {} }, owner: { id: app.id, type: 'app' }, signals: ['traces', 'metrics'] });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  // The only drain of the cluster: its owner is the node that owns one.
  const owned = async (n: Sluice): Promise<number> => Number(/sluice_cluster_drains_owned (\d+)/.exec(String((await n.api('GET', '/metrics')).body))?.[1] ?? 0);
  let counts: number[] = [];
  assert.ok(
    await within(15_000, async () => {
      counts = await Promise.all(c.nodes.map(owned));
      return counts.reduce((x, y) => x + y, 0) === 1;
    }),
    `the drain has one owner: ${counts.join(',')}`,
  );
  const others = c.nodes.filter((_, i) => counts[i] === 0);
  assert.equal(others.length, 2);
  // The owner listens on the drain's subject (it checks every second).
  const owner = c.nodes[counts.indexOf(1)];
  assert.ok(await within(5_000, async () => /sluice_cluster_signal_subscriptions 1\b/.test(String((await owner.api('GET', '/metrics')).body))), 'the owner listens for relayed requests');
  const post = (n: Sluice, path: string, body: Buffer, type: string, encoding?: string): Promise<Response> =>
    fetch(`${n.url}${path}`, { method: 'POST', headers: { 'Content-Type': type, Authorization: `Bearer ${token}`, ...(encoding ? { 'Content-Encoding': encoding } : {}) }, body });
  const traces = Buffer.from('{"resourceSpans":[]}');
  const metrics = gzipSync(Buffer.from('0a0412020a00', 'hex'));
  assert.equal((await post(others[0], '/v1/traces', traces, 'application/json')).status, 200);
  assert.equal((await post(others[1], '/v1/metrics', metrics, 'application/x-protobuf', 'gzip')).status, 200);
  assert.ok(await within(15_000, () => rx.exports.length >= 2), `the receiver got ${JSON.stringify(rx.exports.map((e) => e.path))}`);
  const tr = rx.exports.find((e) => e.path === '/v1/traces')!;
  assert.deepEqual(tr.raw, traces);
  assert.equal(tr.contentType, 'application/json');
  const m = rx.exports.find((e) => e.path === '/v1/metrics')!;
  assert.deepEqual(m.raw, metrics);
  assert.equal(m.contentEncoding, 'gzip');
  assert.match(String((await others[0].api('GET', '/metrics')).body), /sluice_cluster_signals_relayed_total 1\b/);
  // The telemetry drain's health is the drain's: every node shows the owner's, not "none here".
  let healths: Array<{ state?: string; owner?: string } | null> = [];
  assert.ok(
    await within(15_000, async () => {
      healths = await Promise.all(c.nodes.map(async (n) => (await n.api('GET', `/telemetry-drains/${made.body.id}`)).body.health));
      return healths.every((h) => h?.state === 'delivering' && h.owner === healths[0]?.owner && typeof h.owner === 'string');
    }),
    `every node shows the same health: ${JSON.stringify(healths)}`,
  );
});
