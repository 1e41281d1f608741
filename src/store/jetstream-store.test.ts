// Runs the ConfigStore contract against the JetStream store on a real 3-server NATS cluster, then what only a cluster has.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { newId, newLogToken } from '../core/ids.js';
import { NatsLink } from '../engine/nats/link.js';
import { silentLogger } from '../telemetry/logger.js';
import { startNats } from '../../test/cluster-nats.js';
import type { ChangeKind, ConfigStore } from './contract.js';
import { JetStreamStore } from './jetstream-store.js';
import { storeContract } from './store.case.js';
import { CONFIG_BUCKET } from './jetstream-keys.js';

const nats = await startNats(undefined);
const links: NatsLink[] = [];
after(async () => {
  await Promise.all(links.map((l) => l.close()));
  await nats?.stop();
});

const dirs = new Map<ConfigStore, string>();

async function node(dataDir = mkdtempSync(join(tmpdir(), 'sluice-js-store-'))): Promise<JetStreamStore> {
  const link = await NatsLink.open({ url: nats!.url });
  links.push(link);
  const s = await JetStreamStore.open({ link, dataDir, logger: silentLogger() });
  dirs.set(s, dataDir);
  return s;
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

if (nats) {
  storeContract('jetstream', {
    async open() {
      // A fresh, empty store: the bucket is removed and the next node forms a new cluster.
      const link = await NatsLink.open({ url: nats.url });
      await link.parts.jsm.streams.delete(`KV_${CONFIG_BUCKET}`).catch(() => false);
      await link.close();
      return node();
    },
    async reopen(old) {
      await old.close();
      return node(dirs.get(old));
    },
  });

  describe('JetStreamStore across nodes', () => {
    test('a write on A is visible on B within a second and B hears it', async () => {
      const [a, b] = [await node(), await node()];
      const heard: string[] = [];
      b.onChange((kind: ChangeKind, id) => heard.push(`${kind}:${id}`));
      const shop = app('shop');
      await a.putApp(shop);
      assert.equal((await within(1000, () => b.getApp('shop')))?.id, shop.id);
      assert.ok(heard.includes(`app:${shop.id}`));
      const drain = { id: newId(), app_id: shop.id, token: 'd.1', url: 'syslog://h', addon_id: null, created_at: now(), updated_at: now() };
      await b.putDrain(drain, { maxPerApp: 10 });
      assert.equal((await within(1000, () => a.getDrain(drain.id)))?.url, 'syslog://h');
      const tok = { id: newId(), app_id: shop.id, name: 'app', token: newLogToken(), created_at: now() };
      await a.putToken(tok);
      assert.ok(await within(1000, () => b.tokenByValue(tok.token)));
      await b.deleteApp(shop.id);
      assert.equal(await within(1000, () => (a.getApp(shop.id) ? undefined : true)), true);
      assert.equal(await within(1000, () => (a.getDrain(drain.id) ? undefined : true)), true, 'what the app owned goes with it on every node');
      assert.equal(a.tokenByValue(tok.token), undefined);
      assert.ok(heard.includes(`drain:${drain.id}`));
      // The name is free again, through either node.
      await a.putApp(app('shop'));
    });

    test('addToken under one id from three nodes at once: one token stored, the others answered false, no claim left for their values', async () => {
      const ns = [await node(), await node(), await node()];
      const owner = app('tokens-race');
      await ns[0].putApp(owner);
      await within(1000, () => ns[1].getApp(owner.id) && ns[2].getApp(owner.id));
      const id = newId();
      const values = ns.map(() => newLogToken());
      const got = await Promise.all(ns.map((n, i) => n.addToken({ id, app_id: owner.id, name: 'app', token: values[i], created_at: now() })));
      assert.equal(got.filter(Boolean).length, 1, `exactly one node stores the token: ${got.join(', ')}`);
      const kept = values[got.indexOf(true)];
      for (const n of ns) assert.equal((await within(1000, () => n.listTokens(owner.id)[0]))?.token, kept, 'every node keeps the first token');
      // The losers' values hold no claim: another token may take them.
      for (const [i, v] of values.entries()) {
        if (v === kept) continue;
        await ns[i].putToken({ id: newId(), app_id: owner.id, name: `reuse-${i}`, token: v, created_at: now() });
      }
    });

    test('three nodes racing: one name, one drain URL, the drain limit, one domain', async () => {
      const ns = [await node(), await node(), await node()];
      const names = await Promise.allSettled(ns.map((n) => n.putApp(app('twin'))));
      assert.equal(names.filter((r) => r.status === 'fulfilled').length, 1, 'exactly one node makes the app');
      const owner = (await within(1000, () => ns[2].getApp('twin')))!;
      const drain = (url: string) => ({ id: newId(), app_id: owner.id, token: `d.${newId()}`, url, addon_id: null, created_at: now(), updated_at: now() });
      const same = await Promise.allSettled(ns.map((n) => n.putDrain(drain('https://one.example/'), { maxPerApp: 10 })));
      assert.equal(same.filter((r) => r.status === 'fulfilled').length, 1);
      assert.match(String((same.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason), /Already exists/);
      const many = await Promise.allSettled(
        Array.from({ length: 9 }, (_, i) => ns[i % 3].putDrain(drain(`https://h${i}.example/`), { maxPerApp: 4 })),
      );
      assert.equal(many.filter((r) => r.status === 'fulfilled').length, 3, 'four drains at most, one was there');
      assert.ok(await within(1000, () => (ns.every((n) => n.listDrains(owner.id).length === 4) ? true : undefined)));
      const other = await ns[0].putApp(app('other')).then(() => ns[0].getApp('other')!);
      const domains = await Promise.allSettled([
        ns[1].putDomain({ app_id: owner.id, hostname: 'www.race.example', created_at: now() }),
        ns[2].putDomain({ app_id: other.id, hostname: 'www.race.example', created_at: now() }),
      ]);
      assert.equal(domains.filter((r) => r.status === 'fulfilled').length, 1);
    });
  });
}
