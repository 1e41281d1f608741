// The ConfigStore conformance suite: every implementation (SQLite, and JetStream for clusters) runs it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SluiceError } from '../core/errors.js';
import { newId, newLogToken } from '../core/ids.js';
import type { ConfigStore } from './contract.js';

export interface StoreFactory {
  /** A fresh, empty store. */
  open(): Promise<ConfigStore>;
  /** The same data, opened again (a restart). */
  reopen(old: ConfigStore): Promise<ConfigStore>;
}

const now = () => new Date().toISOString();

export function storeContract(name: string, factory: StoreFactory): void {
  describe(`ConfigStore contract: ${name}`, () => {
    test('apps by id and name, renamed, listed sorted, deleted with what they own', async () => {
      const s = await factory.open();
      const a = { id: newId(), name: 'zeta', created_at: now(), updated_at: now() };
      const b = { id: newId(), name: 'alpha', created_at: now(), updated_at: now() };
      await s.putApp(a);
      await s.putApp(b);
      assert.equal(s.getApp(a.id)?.name, 'zeta');
      assert.equal(s.getApp('alpha')?.id, b.id);
      assert.deepEqual(s.listApps().map((x) => x.name), ['alpha', 'zeta']);
      await s.putApp({ ...a, name: 'omega' });
      assert.equal(s.getApp('zeta'), undefined);
      assert.equal(s.getApp('omega')?.id, a.id);

      const tok = { id: newId(), app_id: a.id, name: 'app', token: newLogToken(), created_at: now() };
      await s.putToken(tok);
      await s.putDomain({ app_id: a.id, hostname: 'www.example.com', created_at: now() });
      const drain = { id: newId(), app_id: a.id, token: 'd.x', url: 'syslog://h', addon_id: null, created_at: now(), updated_at: now() };
      await s.putDrain(drain);
      assert.equal(s.tokenByValue(tok.token)?.app_id, a.id);
      assert.equal(s.domainOwner('www.example.com')?.app_id, a.id);

      const changes: string[] = [];
      const off = s.onChange((kind, id) => changes.push(`${kind}:${id}`));
      await s.deleteApp(a.id);
      off();
      assert.equal(s.getApp(a.id), undefined);
      assert.equal(s.tokenByValue(tok.token), undefined);
      assert.equal(s.domainOwner('www.example.com'), undefined);
      assert.equal(s.getDrain(drain.id), undefined);
      assert.ok(changes.includes(`drain:${drain.id}`), 'drain workers hear that the drain is gone');
      assert.ok(changes.includes(`app:${a.id}`));
      await s.close();
    });

    test('the store refuses what breaks a rule, with the API\'s own errors', async () => {
      const s = await factory.open();
      const refused = async (p: Promise<unknown>, id: string, message: RegExp): Promise<void> => {
        const err = await p.then(() => undefined, (e: unknown) => e);
        assert.ok(err instanceof SluiceError, `refused with a SluiceError, got ${String(err)}`);
        assert.equal(err.id, id);
        assert.match(err.message, message);
      };
      const a = { id: newId(), name: 'rules', created_at: now(), updated_at: now() };
      const b = { id: newId(), name: 'other', created_at: now(), updated_at: now() };
      await s.putApp(a);
      await s.putApp(b);
      await refused(s.putApp({ ...b, name: 'rules' }), 'conflict', /Name rules is already taken/);
      await refused(s.putApp({ id: newId(), name: 'rules', created_at: now(), updated_at: now() }), 'conflict', /already taken/);
      await s.putApp({ ...a, updated_at: now() }); // the holder itself may write again
      const value = newLogToken();
      await s.putToken({ id: newId(), app_id: a.id, name: 'app', token: value, created_at: now() });
      await refused(s.putToken({ id: newId(), app_id: b.id, name: 'app', token: value, created_at: now() }), 'conflict', /token/);
      // addToken stores a new id once; a second token under that id is refused quietly, the first kept.
      const added = { id: newId(), app_id: a.id, name: 'added', token: newLogToken(), created_at: now() };
      assert.equal(await s.addToken(added), true);
      assert.equal(await s.addToken({ ...added, token: newLogToken() }), false);
      assert.equal(s.listTokens(a.id).find((t) => t.id === added.id)?.token, added.token);
      await refused(s.addToken({ id: newId(), app_id: b.id, name: 'x', token: value, created_at: now() }), 'conflict', /token/);
      await s.putDomain({ app_id: a.id, hostname: 'api.example.com', created_at: now() });
      await refused(s.putDomain({ app_id: b.id, hostname: 'api.example.com', created_at: now() }), 'conflict', /api\.example\.com is already in use/);
      const drain = (url: string) => ({ id: newId(), app_id: a.id, token: `d.${newId()}`, url, addon_id: null, created_at: now(), updated_at: now() });
      await s.putDrain(drain('https://one.example'), { maxPerApp: 2 });
      await refused(s.putDrain(drain('https://one.example/'), { maxPerApp: 2 }), 'conflict', /Already exists: rules already drains to https:\/\/one\.example/);
      await s.putDrain(drain('https://two.example/'), { maxPerApp: 2 });
      await refused(s.putDrain(drain('https://three.example/'), { maxPerApp: 2 }), 'invalid_params', /maximum number of drains allowed \(2\) to rules/);
      assert.equal(s.listDrains(a.id).length, 2);
      // Removing a drain frees its URL and its place under the limit.
      await s.deleteDrain(s.listDrains(a.id)[0].id);
      await s.putDrain(drain('https://one.example/'), { maxPerApp: 2 });
      assert.equal(s.listDrains(a.id).length, 2);
      await s.close();
    });

    test('everything survives a reopen', async () => {
      const s = await factory.open();
      const app = { id: newId(), name: 'kept', created_at: now(), updated_at: now() };
      await s.putApp(app);
      const tok = { id: newId(), app_id: app.id, name: 'app', token: newLogToken(), created_at: now() };
      await s.putToken(tok);
      await s.putApiKey({ id: newId(), name: 'bot', hash: 'ab'.repeat(32), admin: false, app_ids: [app.id], created_at: now() });
      await s.putAddonService({ id: 'svc', name: 'Svc', manifest: '{}', created_at: now() });
      await s.putAddon({
        id: newId(), name: 'svc-red-1', app_id: app.id, service_id: 'svc', plan: 'basic', state: 'provisioned',
        config_vars: { SVC_URL: 'x' }, provider_id: '1', drain_token: null, log_token_id: null, created_at: now(), updated_at: now(),
      });
      await s.putSetting('k', 'v');
      const r = await factory.reopen(s);
      assert.equal(r.getApp('kept')?.id, app.id);
      assert.equal(r.tokenByValue(tok.token)?.name, 'app');
      assert.deepEqual(r.apiKeyByHash('ab'.repeat(32))?.app_ids, [app.id]);
      assert.equal(r.getAddon('svc-red-1')?.config_vars.SVC_URL, 'x');
      assert.equal(r.getAddonService('svc')?.name, 'Svc');
      assert.equal(r.getSetting('k'), 'v');
      await r.close();
    });
  });
}
