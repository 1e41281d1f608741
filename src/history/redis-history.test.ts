// Redis history: shared and capped across writers; a Redis outage never throws into the router.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Redis } from 'ioredis';
import { startRedis } from '../../test/cluster-redis.js';
import { CONNECTION_OPTIONS, keys } from '../store/redis-link.js';
import { line } from './history.case.js';
import { RedisHistory } from './redis-history.js';

const clients: Redis[] = [];
after(() => {
  for (const c of clients) c.disconnect();
});
const client = (url: string): Redis => {
  const c = new Redis(url, CONNECTION_OPTIONS);
  c.on('error', () => {});
  clients.push(c);
  return c;
};

test('two writers share one list of exactly the newest 1,500 lines', async (t) => {
  const redis = await startRedis(t);
  if (!redis) return;
  t.after(() => redis.stop());
  const [a, b] = [new RedisHistory(client(redis.url)), new RedisHistory(client(redis.url))];
  for (let i = 1; i <= 2000; i++) {
    (i % 2 ? a : b).deliver('shared', line(i));
    if (i % 250 === 0) {
      a.flush();
      b.flush();
      await new Promise((r) => setImmediate(r));
    }
  }
  await a.close();
  await b.close();
  assert.equal(await client(redis.url).llen(keys.history('shared')), 1500);
  const seen = await new RedisHistory(client(redis.url)).read('shared', 1500);
  assert.equal(seen.length, 1500);
  assert.equal(new Set(seen.map((l) => l.msg)).size, 1500);
  // Flushes of the two writers interleave as they land; each writer's own lines stay in order
  // and the newest of both are there.
  const nums = (odd: boolean): number[] => seen.map((l) => Number(l.msg.split(' ')[1])).filter((n) => n % 2 === (odd ? 1 : 0));
  for (const own of [nums(true), nums(false)]) assert.deepEqual(own, [...own].sort((x, y) => x - y));
  assert.ok(nums(true).includes(1999) && nums(false).includes(2000));
});

test('Redis down: deliver never throws, reads fail (L15), the queue is bounded, and it catches up', async (t) => {
  const redis = await startRedis(t);
  if (!redis) return;
  t.after(() => redis.stop());
  const errors: unknown[] = [];
  const h = new RedisHistory(client(redis.url), { flushMs: 20, maxPending: 100, onError: (e) => errors.push(e) });
  h.deliver('app', line(1));
  h.flush();
  await redis.kill();
  for (let i = 2; i <= 300; i++) h.deliver('app', line(i));
  await assert.rejects(h.read('app', 10), 'a read that cannot reach Redis rejects; the session writes L15');
  assert.ok(h.dropped >= 200 - 1, `lines beyond the bound are counted: ${h.dropped}`);
  assert.ok(errors.length >= 1 && errors.length <= 3, `the outage is reported, not once per flush: ${errors.length}`);
  await redis.start();
  const deadline = Date.now() + 10_000;
  let n = 0;
  while (Date.now() < deadline) {
    n = (await h.read('app', 1500).catch(() => [])).length;
    if (n >= 99 && (await client(redis.url).llen(keys.history('app'))) >= 99) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(n >= 99, `the waiting lines reach Redis once it is back: ${n}`);
  await h.close();
});
