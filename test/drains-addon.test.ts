// Add-on drains are written by the add-on code straight into the store; the drain manager follows
// the store (create, move with the same token, delete), and users cannot delete them (403).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { newDrainToken, newId } from '../src/core/ids.js';
import { buildApi } from '../src/api/app.js';
import { Auth } from '../src/api/auth.js';
import type { ApiDeps } from '../src/api/context.js';
import { logDrainRoutes } from '../src/api/log-drains.js';
import { SqliteHistory } from '../src/history/sqlite-history.js';
import { Router } from '../src/router/router.js';
import { TailHub } from '../src/tail/hub.js';
import { SessionRegistry } from '../src/tail/sessions.js';
import { Metrics } from '../src/telemetry/metrics.js';
import { DrainManager } from '../src/drains/manager.js';
import { openDatabase } from '../src/store/sqlite-db.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { closeServer, FAST, httpReceiver, listenOn, logLine, removeDir, sleep, tmpDir, until, type HttpReceiver } from './drains-support.js';

const cleanup: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

test('an add-on drain: delivered via store changes, listed with its add-on, moved by URL, 403 on user delete', { timeout: 30_000 }, async () => {
  const dir = tmpDir('sluice-addon-drains-');
  cleanup.push(() => removeDir(dir));
  const db = openDatabase(dir);
  const store = new SqliteStore(db);
  const history = new SqliteHistory(db);
  cleanup.push(async () => {
    await history.close();
    await store.close();
    db.close();
  });
  const router = new Router(store);
  const manager = new DrainManager(store, { options: FAST }).start();
  cleanup.push(() => manager.stop(500));
  router.subscribe(history);
  router.subscribe(manager);
  const deps: ApiDeps = {
    store,
    history,
    router,
    sessions: new SessionRegistry(),
    hub: new TailHub(),
    auth: new Auth(store, 'sk_admin'),
    metrics: new Metrics(),
    config: { publicUrl: 'http://127.0.0.1', version: 'test' },
    drains: { manager, denyPrivate: false, maxPerApp: 10 },
  };
  const server = http.createServer(buildApi(deps, [logDrainRoutes], (e) => assert.fail(String(e))));
  const port = await listenOn(server, 0);
  cleanup.push(() => closeServer(server));
  const api = async (method: string, path: string): Promise<{ status: number; body: Record<string, unknown> & Array<Record<string, unknown>> }> => {
    const r = await fetch(`http://127.0.0.1:${port}${path}`, { method, headers: { Authorization: 'Bearer sk_admin' }, signal: AbortSignal.timeout(5_000) });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> & Array<Record<string, unknown>> };
  };

  const a: HttpReceiver = await httpReceiver();
  const b: HttpReceiver = await httpReceiver();
  cleanup.push(() => a.close(), () => b.close());

  const now = new Date().toISOString();
  const appId = newId();
  await store.putApp({ id: appId, name: 'addonapp', created_at: now, updated_at: now });
  await store.putAddonService({ id: 'logsearch', name: 'Log Search', manifest: '{}', created_at: now });
  const addonId = newId();
  const token = newDrainToken();
  await store.putAddon({
    id: addonId, name: 'logsearch-curly-14926', app_id: appId, service_id: 'logsearch', plan: 'basic', state: 'provisioned',
    config_vars: {}, provider_id: 'p1', drain_token: token, log_token_id: null, created_at: now, updated_at: now,
  });
  const drain = { id: newId(), app_id: appId, token, url: `http://127.0.0.1:${a.port}/`, addon_id: addonId, created_at: now, updated_at: now };
  await store.putDrain(drain);

  router.publish(appId, logLine('to the add-on'));
  assert.ok(await until(() => a.frames().some((f) => f.includes('to the add-on'))));
  assert.equal(a.requests[0].headers['logplex-drain-token'], token);

  const list = await api('GET', '/apps/addonapp/log-drains');
  assert.deepEqual(list.body[0].addon, { id: addonId, name: 'logsearch-curly-14926' });

  const del = await api('DELETE', `/apps/addonapp/log-drains/${encodeURIComponent(token)}`);
  assert.equal(del.status, 403);
  assert.equal(del.body.id, 'forbidden');
  assert.match(String(del.body.message), /remove the add-on/);

  // The partner moves its drain: same token, new URL.
  await store.putDrain({ ...drain, url: `http://127.0.0.1:${b.port}/new`, updated_at: new Date().toISOString() });
  router.publish(appId, logLine('after the move'));
  assert.ok(await until(() => b.frames().some((f) => f.includes('after the move'))));
  assert.equal(b.requests[0].headers['logplex-drain-token'], token);
  assert.equal(b.requests[0].url, '/new');
  assert.ok(!a.frames().some((f) => f.includes('after the move')));

  // The add-on is removed: its drain goes, delivery stops.
  await store.deleteDrain(drain.id);
  router.publish(appId, logLine('after removal'));
  await sleep(300);
  assert.ok(!b.frames().some((f) => f.includes('after removal')));
  assert.equal(manager.health(drain.id), undefined);
});
