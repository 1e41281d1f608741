// `/api-keys` (Sluice's extension): the admin makes keys limited to listed apps; the key is shown once.
import { z } from 'zod';
import { SluiceError } from '../core/errors.js';
import { newId, newSecret } from '../core/ids.js';
import { hashSecret } from '../core/secret.js';
import type { ApiKeyRecord } from '../store/records.js';
import type { RouteModule } from './context.js';
import { sendJson } from './http-util.js';
import { body } from './validate.js';

const CreateKey = z.object({
  name: z.string().min(1).max(64),
  admin: z.boolean().optional(),
  apps: z.array(z.string()).optional(),
});

const keyView = (k: ApiKeyRecord, apps: (id: string) => string | undefined) => ({
  id: k.id,
  name: k.name,
  admin: k.admin,
  apps: k.app_ids.map((id) => apps(id) ?? id),
  created_at: k.created_at,
});

export const apiKeyRoutes: RouteModule = (r) => {
  r.on('GET', '/api-keys', (ctx) => {
    ctx.deps.auth.requireAdmin(ctx.principal());
    const name = (id: string) => ctx.deps.store.getApp(id)?.name;
    sendJson(ctx.res, 200, ctx.deps.store.listApiKeys().map((k) => keyView(k, name)));
  });

  r.on('POST', '/api-keys', async (ctx) => {
    ctx.deps.auth.requireAdmin(ctx.principal());
    const b = await body(ctx, CreateKey);
    const appIds = (b.apps ?? []).map((a) => {
      const app = ctx.deps.store.getApp(a);
      if (!app) throw new SluiceError('invalid_params', `apps: no app named ${a}`);
      return app.id;
    });
    if (!b.admin && appIds.length === 0) {
      throw new SluiceError('invalid_params', 'apps: a non-admin key needs at least one app');
    }
    const key = `sk_${newSecret()}`;
    const rec: ApiKeyRecord = {
      id: newId(),
      name: b.name,
      hash: hashSecret(key),
      admin: b.admin ?? false,
      app_ids: appIds,
      created_at: new Date().toISOString(),
    };
    await ctx.deps.store.putApiKey(rec);
    // The only time the key itself is returned: only its hash is stored.
    sendJson(ctx.res, 201, { ...keyView(rec, (id) => ctx.deps.store.getApp(id)?.name), key });
  });

  r.on('DELETE', '/api-keys/:id', async (ctx) => {
    ctx.deps.auth.requireAdmin(ctx.principal());
    const k = ctx.deps.store.listApiKeys().find((x) => x.id === ctx.params.id);
    if (!k) throw new SluiceError('not_found', "Couldn't find that API key.", 'api-key');
    await ctx.deps.store.deleteApiKey(k.id);
    sendJson(ctx.res, 200, keyView(k, (id) => ctx.deps.store.getApp(id)?.name));
  });
};
