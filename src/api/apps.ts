// `/apps`: create, list, show and destroy apps (destroying removes everything the app owns).
import { z } from 'zod';
import { APP_NAME, newId, newLogToken } from '../core/ids.js';
import { nameTaken } from '../store/rules.js';
import { mayUseApp } from './auth.js';
import type { RouteModule } from './context.js';
import { sendJson } from './http-util.js';
import { body } from './validate.js';
import { appView } from './views.js';

const CreateApp = z.object({
  name: z
    .string()
    .regex(APP_NAME, 'must start with a letter and contain only lowercase letters, digits and dashes (2–30 characters)')
    .optional(),
});

export const appRoutes: RouteModule = (r) => {
  r.on('POST', '/apps', async (ctx) => {
    ctx.deps.auth.requireAdmin(ctx.principal());
    const { name = `app-${newId().slice(0, 8)}` } = await body(ctx, CreateApp);
    const { store } = ctx.deps;
    if (store.getApp(name)) throw nameTaken(name);
    const now = new Date().toISOString();
    const app = { id: newId(), name, created_at: now, updated_at: now };
    await store.putApp(app);
    // Every app gets an `app` token so that it can receive logs at once.
    await store.putToken({ id: newId(), app_id: app.id, name: 'app', token: newLogToken(), created_at: now });
    sendJson(ctx.res, 201, appView(app));
  });

  r.on('GET', '/apps', (ctx) => {
    const p = ctx.principal();
    sendJson(
      ctx.res,
      200,
      ctx.deps.store
        .listApps()
        .filter((a) => mayUseApp(p, a.id))
        .map(appView),
    );
  });

  r.on('GET', '/apps/:app', (ctx) => {
    sendJson(ctx.res, 200, appView(ctx.deps.auth.app(ctx.principal(), ctx.params.app ?? '')));
  });

  r.on('DELETE', '/apps/:app', async (ctx) => {
    const p = ctx.principal();
    const app = ctx.deps.auth.app(p, ctx.params.app ?? '');
    ctx.deps.auth.requireAdmin(p);
    const { store, history, sessions } = ctx.deps;
    await ctx.deps.beforeAppDelete?.(app.id);
    await store.deleteApp(app.id);
    history.drop(app.id);
    sessions.dropApp(app.id);
    sendJson(ctx.res, 200, appView(app));
  });
};
