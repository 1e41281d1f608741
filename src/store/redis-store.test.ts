// Runs the ConfigStore contract against the Redis store, then what only a cluster has: two nodes.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { newId, newLogToken } from '../core/ids.js';
import { RedisLink, keys } from './redis-link.js';
import { startRedis } from '../../test/cluster-redis.js';
import type { ChangeKind } from './contract.js';
import { RedisStore } from './redis-store.js';
import { storeContract } from './store.case.js';

const redis = await startRedis(undefined);
const links: RedisLink[] = [];
after(async () => {
  await Promise.all(links.map((l) => l.close()));
  await redis?.stop();
});

async function node(): Promise<RedisStore> {
  const link = new RedisLink(redis!.url);
  links.push(link);
  await link.connect();
  return RedisStore.open(link);
}

async function within<T>(ms: number, f: () => T | undefined): Promise<T | undefined> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
}

const now = () => new Date().toISOString();
const app = (name: string) => ({ id: newId(), name, created_at: now(), updated_at: now() });

if (redis) {
  storeContract('redis', {
    async open() {
      const raw = new Redis(redis.url);
      await raw.flushall();
      raw.disconnect();
      return node();
    },
    async reopen(old) {
      await old.close();
      return node();
    },
  });

  describe('RedisStore across nodes', () => {
    test('a write on A is visible on B within a second and B hears it', async () => {
      const [a, b] = [await node(), await node()];
      const heard: string[] = [];
      b.onChange((kind: ChangeKind, id) => heard.push(`${kind}:${id}`));
      const shop = app('shop');
      await a.putApp(shop);
      assert.equal((await within(1000, () => b.getApp('shop')))?.id, shop.id);
      assert.ok(heard.includes(`app:${shop.id}`));

      const drain = { id: newId(), app_id: shop.id, token: 'd.1', url: 'syslog://h', addon_id: null, created_at: now(), updated_at: now() };
      await b.putDrain(drain);
      assert.equal((await within(1000, () => a.getDrain(drain.id)))?.url, 'syslog://h');
      const tok = { id: newId(), app_id: shop.id, name: 'app', token: newLogToken(), created_at: now() };
      await a.putToken(tok);
      assert.ok(await within(1000, () => b.tokenByValue(tok.token)));

      await b.deleteApp(shop.id);
      assert.equal(await within(1000, () => (a.getApp(shop.id) ? undefined : true)), true);
      assert.equal(a.getDrain(drain.id), undefined, 'what the app owned goes with it on every node');
      assert.equal(a.tokenByValue(tok.token), undefined);
      assert.ok(heard.includes(`drain:${drain.id}`));
    });

    test('two nodes cannot give two apps one name', async () => {
      const [a, b] = [await node(), await node()];
      const results = await Promise.allSettled([a.putApp(app('twin')), b.putApp(app('twin'))]);
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      const failed = results.find((r) => r.status === 'rejected');
      assert.match(String(failed?.reason), /already taken/);
      // A rename frees the old name.
      const x = a.getApp('twin') ?? b.getApp('twin');
      await a.putApp({ ...x!, name: 'renamed' });
      await b.putApp(app('twin'));
      assert.ok(await within(1000, () => a.getApp('twin')));
    });

    test('a node that missed messages catches up when its subscriber reconnects', async () => {
      const b = await node();
      const hidden = app('missed');
      // Written behind everyone's back (no change message): as if published while B was away.
      const raw = new Redis(redis.url);
      await raw.hset(keys.config('app'), hidden.id, JSON.stringify(hidden));
      assert.equal(b.getApp('missed'), undefined);
      await raw.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
      raw.disconnect();
      assert.equal((await within(3000, () => b.getApp('missed')))?.id, hidden.id);
    });
  });
}
