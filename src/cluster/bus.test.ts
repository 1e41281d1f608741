// The tail bus and Redis sessions between two "nodes" in one process, on a real redis-server.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { startRedis } from '../../test/cluster-redis.js';
import type { LogLine } from '../core/log-line.js';
import { SessionRegistry } from '../tail/sessions.js';
import { ClusterBus, ClusterTailHub } from './bus.js';
import { RedisLink } from '../store/redis-link.js';
import { RedisSessions } from './redis-sessions.js';

const redis = await startRedis(undefined);
const links: RedisLink[] = [];
after(async () => {
  await Promise.all(links.map((l) => l.close()));
  await redis?.stop();
});

async function node(name: string): Promise<{ hub: ClusterTailHub; bus: ClusterBus; link: RedisLink }> {
  const link = new RedisLink(redis!.url);
  links.push(link);
  await link.connect();
  const hub = new ClusterTailHub();
  const bus = await new ClusterBus(link, hub, { node: name, refreshMs: 100 }).start();
  return { hub, bus, link };
}

const line = (msg: string): LogLine => ({ pri: 190, time: '2026-11-21T05:14:56.000000+00:00', hostname: 'h', source: 'app', procid: 'web.1', msgid: '-', sd: '-', msg });

async function until(pred: () => boolean, ms = 2000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!pred() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  return pred();
}

test('a line routed on A reaches a tail on B once, and nothing is published for untailed apps', { skip: !redis }, async () => {
  const [a, b] = [await node('a'), await node('b')];
  // Nobody tails anything: routing costs no publish.
  a.bus.deliver('app-1', line('unseen'));
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(a.bus.published, 0);

  const got: string[] = [];
  const close = b.hub.add('app-1', { push: (l) => got.push(l.msg) });
  assert.ok(await until(() => (a.bus.deliver('app-1', line('probe')), got.length > 0)), 'A hears of the tail within a round trip');
  for (let i = 0; i < 100; i++) a.bus.deliver('app-1', line(`x${i}`));
  a.bus.deliver('app-2', line('other app'));
  const xs = (): string[] => got.filter((m) => m.startsWith('x'));
  assert.ok(await until(() => xs().length >= 100));
  assert.ok(!got.includes('other app'));
  assert.deepEqual(xs(), Array.from({ length: 100 }, (_, i) => `x${i}`), 'in order, complete, once');

  // B's own lines are not sent back to it.
  b.bus.deliver('app-1', line('local'));
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(b.bus.published, 0, 'no other node tails app-1');
  close();
  await a.bus.close();
  await b.bus.close();
});

test('a session made on one node opens on another, with its secret, within its window', { skip: !redis }, async () => {
  const [a, b] = [await node('sa'), await node('sb')];
  const ra = new SessionRegistry(300, new RedisSessions(a.link.cmd));
  const rb = new SessionRegistry(300, new RedisSessions(b.link.cmd));
  const s = await ra.create({ appId: 'app', lines: 10, tail: true, filter: { dyno: 'web' } });
  const opened = await rb.open(s.id, s.secret);
  assert.equal(opened?.appId, 'app');
  assert.deepEqual(opened?.filter, { dyno: 'web' });
  assert.equal(opened?.tail, true);
  assert.equal(await rb.open(s.id, 'wrong'), undefined);
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(await rb.open(s.id, s.secret), undefined, 'expired');
});
