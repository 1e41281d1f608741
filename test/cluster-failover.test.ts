// Cluster mode when nodes die (SPEC §9: "killing a node loses only what it held in memory; the
// others go on"), a restarted node catching up, the shared 1,500-line history, and a node that
// cannot reach Redis at start.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { childEnv, sluiceMain } from './helpers/sluice.js';
import { frame, readAll, sessionUrl, startCluster, within } from './cluster-support.js';
import { startRedis } from './cluster-redis.js';

test('kill -9 one node: the others keep serving with history intact; restarted, it catches up', async (t) => {
  const c = await startCluster(t, 3);
  if (!c) return;
  t.after(() => c.stop());
  const [a, b, cc] = c.nodes;
  const token = await a.createAppWithToken('sturdy');
  assert.ok(await within(1_000, async () => (await b.postLogs(token, [frame(token, 'web.1', 'before the crash')])).status === 204));
  const seen = async (node: typeof a, needle: string): Promise<boolean> =>
    within(2_000, async () => (await readAll(await sessionUrl(node, node, 'sturdy', { lines: 1500 }))).some((l) => l.endsWith(needle)));
  assert.ok(await seen(cc, 'before the crash'), 'B flushed its history to Redis');

  await b.kill9();
  assert.equal((await a.postLogs(token, [frame(token, 'web.2', 'after the crash')])).status, 204);
  assert.ok(await seen(cc, 'after the crash'));
  assert.ok(await seen(a, 'before the crash'), 'history written by the dead node is still there');
  // Configuration changes go on without B…
  const later = await cc.createAppWithToken('later');
  const tokens = (await a.api('GET', '/apps/sturdy/log-tokens')).body as { id: string; token: string }[];
  const tokenId = tokens.find((x) => x.token === token)?.id;
  assert.equal((await a.api('DELETE', `/apps/sturdy/log-tokens/${tokenId}`)).status, 200);

  // …and a new B picks them up when it starts: it loads everything from Redis.
  const b2 = await c.add();
  c.nodes.push(b2);
  assert.equal((await b2.postLogs(later, [frame(later, 'web.1', 'to the new B')])).status, 204);
  assert.equal((await b2.postLogs(token, [frame(token, 'web.1', 'deleted token')])).status, 401);
  assert.ok(
    await within(2_000, async () => (await readAll(await sessionUrl(b2, a, 'later', { lines: 10 }))).some((l) => l.endsWith('to the new B'))),
  );
});

test('history keeps exactly the newest 1,500 lines of an app, whichever nodes received them', async (t) => {
  const c = await startCluster(t, 3);
  if (!c) return;
  t.after(() => c.stop());
  const [a, b, cc] = c.nodes;
  const token = await a.createAppWithToken('capped');
  await within(1_000, async () => (await cc.postLogs(token, [])).status !== 401);
  const batch = (prefix: string, from: number, n: number): string[] =>
    Array.from({ length: n }, (_, i) => frame(token, 'web.1', `${prefix}${from + i}`));
  for (let i = 0; i < 1000; i += 250) assert.equal((await a.postLogs(token, batch('a', i, 250))).status, 204);
  const tail = async (node: typeof a, n: number): Promise<string[]> => readAll(await sessionUrl(node, node, 'capped', { lines: n }));
  assert.ok(await within(2_000, async () => (await tail(b, 1)).some((l) => l.endsWith(' a999'))));
  for (let i = 0; i < 1000; i += 250) assert.equal((await cc.postLogs(token, batch('c', i, 250))).status, 204);
  let lines: string[] = [];
  assert.ok(await within(2_000, async () => (lines = await tail(b, 1500)).at(-1)?.endsWith(' c999') === true));
  const msgs = lines.map((l) => l.slice(l.lastIndexOf(' ') + 1));
  // The audit lines of the app's creation are older than all of these.
  assert.equal(msgs.length, 1500);
  assert.deepEqual(msgs, [...Array.from({ length: 500 }, (_, i) => `a${500 + i}`), ...Array.from({ length: 1000 }, (_, i) => `c${i}`)]);
  const id = (await a.api('GET', '/apps/capped')).body.id as string;
  const r = new Redis(c.redis.url);
  t.after(() => r.disconnect());
  assert.equal(await r.llen(`sluice:history:${id}`), 1500);
});

test('a node that cannot reach Redis refuses to start, saying why, without the password', async (t) => {
  const redis = await startRedis(t);
  if (!redis) return;
  const port = redis.port;
  await redis.stop(); // nothing listens there now
  const p = spawn(process.execPath, [sluiceMain, 'serve', '--http-port', '0', '--syslog-port', '0', '--redis-url', `redis://:hunter2@127.0.0.1:${port}`], {
    env: childEnv({ SLUICE_API_KEY: 'sk_test_unreachable' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  p.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      resolve(null);
    }, 15_000);
    p.once('exit', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  assert.equal(code, 1, err);
  assert.match(err, /cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1/);
  assert.ok(!err.includes('hunter2'));
});

test('Redis going away never takes a node down: input goes on, and it reconnects', async (t) => {
  const c = await startCluster(t, 2);
  if (!c) return;
  t.after(() => c.stop());
  const [a, b] = c.nodes;
  const token = await a.createAppWithToken('outage');
  assert.ok(await within(1_000, async () => (await b.postLogs(token, [frame(token, 'web.1', 'x')])).status === 204));
  const tail = await sessionUrl(a, a, 'outage', { tail: true, lines: 1 });
  const res = await fetch(tail);
  assert.equal(res.status, 200);
  await c.redis.kill();
  // Tokens are read from memory: input is still accepted while history waits (bounded).
  for (const n of [a, b]) assert.equal((await n.postLogs(token, [frame(token, 'web.1', 'during the outage')])).status, 204);
  const made = await a.api('POST', '/apps', { name: 'not-now' });
  assert.equal(made.status, 500, 'a change that cannot be stored is refused, not pretended');
  await res.body?.cancel();
  await c.redis.start();
  // The restarted test Redis is empty (no persistence): the nodes follow it, and work again.
  assert.ok(await within(5_000, async () => (await a.api('POST', '/apps', { name: 'back-again' })).status === 201));
  assert.ok(await within(1_000, async () => (await b.api('GET', '/apps/back-again')).status === 200));
  assert.equal(a.proc.exitCode, null);
  assert.equal(b.proc.exitCode, null);
});
