// `/apps`: create, list, show and destroy apps (destroying removes everything the app owns).
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { SluiceError } from '../core/errors.js';
import { APP_NAME, newId, newLogToken } from '../core/ids.js';
import { nameTaken } from '../store/rules.js';
import { mayUseApp, type Principal } from './auth.js';
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

/** `Idempotency-Key`: visible ASCII, as the IETF httpapi draft has it; a UUID is typical. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * The ids a create with an `Idempotency-Key` makes: the same key from the same caller names the
 * same app (and `app` token record), so a create retried after an unknown outcome — a 503 in
 * cluster mode whose write landed after all, an answer lost on the way — finds what it made
 * instead of a name "already taken" by itself. Undefined without the header.
 */
function idempotentIds(ctx: Ctx, p: Principal): { app: string; token: string } | undefined {
  const raw = ctx.req.headers['idempotency-key'];
  if (raw === undefined) return undefined;
  if (Array.isArray(raw) || !IDEMPOTENCY_KEY.test(raw)) {
    throw new SluiceError('invalid_params', 'Idempotency-Key must be one value of 1 to 255 visible ASCII characters (a UUID is typical).');
  }
  const uuid = (what: string): string => {
    const h = createHash('sha256').update(`${p.kind}\0${p.name}\0${what}\0${raw}`).digest();
    h[6] = (h[6] & 0x0f) | 0x80; // RFC 9562 version 8: made by the application
    h[8] = (h[8] & 0x3f) | 0x80;
    const x = h.subarray(0, 16).toString('hex');
    return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
  };
  return { app: uuid('app'), token: uuid('token') };
}

/** Every app gets an `app` token so that it can receive logs at once (a retried create: unless it has one). */
async function ensureAppToken(ctx: Ctx, app: AppRecord, id: string): Promise<void> {
  const { store } = ctx.deps;
  if (store.listTokens(app.id).some((t) => t.name === 'app')) return;
  await store.addToken({ id, app_id: app.id, name: 'app', token: newLogToken(), created_at: app.created_at });
}

export const appRoutes: RouteModule = (r) => {
  r.on('POST', '/apps', async (ctx) => {
    const p = ctx.principal();
    ctx.deps.auth.requireAdmin(p);
    const req = await body(ctx, CreateApp);
    if (req.space || req.team) throw new SluiceError('invalid_params', 'Sluice has no spaces or teams: create the app without --space or --team.');
    if (req.region && req.region !== 'us') throw new SluiceError('invalid_params', `region: Sluice has one region, "us"; ${req.region} is not one.`);
    const ids = idempotentIds(ctx, p);
    const id = ids?.app ?? newId();
    const { name = `app-${id.slice(0, 8)}` } = req;
    const { store } = ctx.deps;
    const made = ids && store.getApp(id);
    if (made) {
      // The same request again: answered as the first time, with what it made.
      if (made.name !== name) throw new SluiceError('invalid_params', `This Idempotency-Key already created the app ${made.name}; use a new key to create ${name}.`);
      await ensureAppToken(ctx, made, ids.token);
      return sendJson(ctx.res, 201, view(ctx)(made));
    }
    if (store.getApp(name)) throw nameTaken(name);
    const now = new Date().toISOString();
    const app = { id, name, created_at: now, updated_at: now };
    await store.putApp(app);
    await ensureAppToken(ctx, app, ids?.token ?? newId());
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
