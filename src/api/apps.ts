// `/apps`: create, list, show and destroy apps (destroying removes everything the app owns).
import { z } from 'zod';
import { SluiceError } from '../core/errors.js';
import { APP_NAME, newId, newLogToken } from '../core/ids.js';
import { nameTaken } from '../store/rules.js';
import { mayUseApp } from './auth.js';
import type { Ctx, RouteModule } from './context.js';
import type { AppRecord } from '../store/records.js';
import { sendJson } from './http-util.js';
import { body } from './validate.js';
import { appView } from './views.js';

/** The app with its first domain as `web_url`. */
const view = (ctx: Ctx) => (a: AppRecord) => {
  const host = ctx.deps.store.listDomains(a.id)[0]?.hostname;
  return appView(a, { webUrl: host ? `https://${host}/` : null });
};

/** The `heroku apps:create` fields Sluice has no notion of are accepted and ignored, except a place it cannot honour. */
const CreateApp = z.object({
  name: z
    .string()
    .regex(APP_NAME, 'must start with a letter and contain only lowercase letters, digits and dashes (2–30 characters)')
    .optional(),
  region: z.string().optional(),
  space: z.string().optional(),
  team: z.string().optional(),
});

export const appRoutes: RouteModule = (r) => {
  r.on('POST', '/apps', async (ctx) => {
    ctx.deps.auth.requireAdmin(ctx.principal());
    const req = await body(ctx, CreateApp);
    if (req.space || req.team) throw new SluiceError('invalid_params', 'Sluice has no spaces or teams: create the app without --space or --team.');
    if (req.region && req.region !== 'us') throw new SluiceError('invalid_params', `region: Sluice has one region, "us"; ${req.region} is not one.`);
    const { name = `app-${newId().slice(0, 8)}` } = req;
    const { store } = ctx.deps;
    if (store.getApp(name)) throw nameTaken(name);
    const now = new Date().toISOString();
    const app = { id: newId(), name, created_at: now, updated_at: now };
    await store.putApp(app);
    // Every app gets an `app` token so that it can receive logs at once.
    await store.putToken({ id: newId(), app_id: app.id, name: 'app', token: newLogToken(), created_at: now });
    sendJson(ctx.res, 201, view(ctx)(app));
  });

  const list = (ctx: Ctx): void => {
    const p = ctx.principal();
    sendJson(
      ctx.res,
      200,
      ctx.deps.store
        .listApps()
        .filter((a) => mayUseApp(p, a.id))
        .map(view(ctx)),
    );
  };
  r.on('GET', '/apps', list);
  // `heroku apps` asks for the caller's own apps: every app the key may use.
  r.on('GET', '/users/~/apps', list);

  r.on('GET', '/apps/:app', (ctx) => {
    sendJson(ctx.res, 200, view(ctx)(ctx.deps.auth.app(ctx.principal(), ctx.params.app ?? '')));
  });

  // `heroku apps:rename` and `apps:update`: an app's name is fixed, because its log tokens, drains
  // (the `service.name` of telemetry drains, the HOSTNAME of syslog lines) and add-ons name it.
  r.on('PATCH', '/apps/:app', (ctx) => {
    const app = ctx.deps.auth.app(ctx.principal(), ctx.params.app ?? '');
    throw new SluiceError('invalid_params', `Sluice apps cannot be renamed or changed: ${app.name}'s name is fixed at creation. Create a new app (and its drains) instead.`);
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
    sendJson(ctx.res, 200, view(ctx)(app));
  });
};
