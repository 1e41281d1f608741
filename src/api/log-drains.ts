// `/apps/{app}/log-drains`: add, list, show (with health), test and remove an app's drains.
import { z } from 'zod';
import { SluiceError } from '../core/errors.js';
import { newDrainToken, newId } from '../core/ids.js';
import { validateDrainUrl } from '../drains/url.js';
import type { AppRecord, DrainRecord } from '../store/records.js';
import { drainExists, drainLimit, normalDrainUrl } from '../store/rules.js';
import { audit } from './audit.js';
import type { Ctx, RouteModule } from './context.js';
import { redactUrl } from '../core/redact.js';
import { drainView } from './drain-view.js';
import { sendJson } from './http-util.js';
import { body } from './validate.js';

const CreateDrain = z.object({
  url: z.string().trim().min(1, 'is required').max(2048, 'is longer than 2048 characters'),
  // `rfc5424`: frames with a nil STRUCTURED-DATA, for receivers that parse strict RFC 5424.
  format: z.enum(['heroku', 'rfc5424']).optional(),
});

function service(ctx: Ctx) {
  const d = ctx.deps.drains;
  if (!d) throw new SluiceError('unavailable', 'Drains are not enabled on this server.');
  return d;
}

const normal = normalDrainUrl;

/** The `{drain}` path segment (already URL-decoded) names a drain by id, url or token. */
export function findDrain(drains: DrainRecord[], key: string): DrainRecord | undefined {
  return (
    drains.find((d) => d.id === key || d.token === key || d.url === key) ??
    drains.find((d) => normal(d.url) === normal(key))
  );
}

/** Telemetry drains share the store (and the per-app limit) but are listed under /telemetry-drains. */
const logDrains = (ctx: Ctx, appId: string): DrainRecord[] => ctx.deps.store.listDrains(appId).filter((d) => !d.telemetry);

/** A drain's health: this node's, or the owner's in a cluster; null where drains are off. */
async function healthOf(ctx: Ctx, id: string): Promise<unknown> {
  const d = ctx.deps.drains;
  return (d?.health ? await d.health(id) : d?.manager.health(id)) ?? null;
}

function drainOf(ctx: Ctx): { app: AppRecord; drain: DrainRecord } {
  const app = ctx.deps.auth.app(ctx.principal(), ctx.params.app ?? '');
  const drain = findDrain(logDrains(ctx, app.id), ctx.params.drain ?? '');
  if (!drain) throw new SluiceError('not_found', "Couldn't find that log drain.", 'log-drain');
  return { app, drain };
}

export const logDrainRoutes: RouteModule = (r) => {
  r.on('GET', '/apps/:app/log-drains', async (ctx) => {
    const app = ctx.deps.auth.app(ctx.principal(), ctx.params.app ?? '');
    const { store } = ctx.deps;
    const list = logDrains(ctx, app.id);
    // `?health=1` (the console's poll): every drain with its health in one answer, so a drain
    // removed between a list and a per-drain read is never asked for (and never a 404).
    if (ctx.query.get('health') !== '1') return sendJson(ctx.res, 200, list.map((d) => drainView(d, store)));
    const withHealth = await Promise.all(list.map(async (d) => ({ ...drainView(d, store), health: await healthOf(ctx, d.id) })));
    sendJson(ctx.res, 200, withHealth);
  });

  r.on('POST', '/apps/:app/log-drains', async (ctx) => {
    const app = ctx.deps.auth.app(ctx.principal(), ctx.params.app ?? '');
    const svc = service(ctx);
    const { url, format } = await body(ctx, CreateDrain);
    const check = await validateDrainUrl(url, { denyPrivate: svc.denyPrivate, resolve: svc.resolve, self: svc.self?.() });
    if (!check.ok) throw new SluiceError('invalid_params', `Invalid drain URL: ${check.reason}.`);
    const { store } = ctx.deps;
    const existing = store.listDrains(app.id);
    // Checked here for a quick answer, and again by the store in the write itself (another node
    // may be adding the same drain at this moment).
    if (existing.some((d) => normal(d.url) === normal(url))) throw drainExists(app.name, url);
    if (existing.length >= svc.maxPerApp) throw drainLimit(svc.maxPerApp, app.name);
    const now = new Date().toISOString();
    const drain: DrainRecord = {
      id: newId(),
      app_id: app.id,
      token: newDrainToken(),
      url,
      addon_id: null,
      ...(format === 'rfc5424' ? { format } : {}),
      created_at: now,
      updated_at: now,
    };
    await store.putDrain(drain, { maxPerApp: svc.maxPerApp });
    // Every drain of the app receives this line: it names the drain by id, never by its token.
    audit(ctx, app.id, `Added drain ${redactUrl(url)} (${drain.id})`);
    sendJson(ctx.res, 201, drainView(drain, store));
  });

  r.on('GET', '/apps/:app/log-drains/:drain', async (ctx) => {
    const { drain } = drainOf(ctx);
    sendJson(ctx.res, 200, { ...drainView(drain, ctx.deps.store), health: await healthOf(ctx, drain.id) });
  });

  r.on('DELETE', '/apps/:app/log-drains/:drain', async (ctx) => {
    const { app, drain } = drainOf(ctx);
    if (drain.addon_id) {
      const addon = ctx.deps.store.getAddon(drain.addon_id);
      throw new SluiceError(
        'forbidden',
        `This drain belongs to the add-on ${addon?.name ?? drain.addon_id}; remove the add-on to remove its drain.`,
      );
    }
    const view = drainView(drain, ctx.deps.store);
    await ctx.deps.store.deleteDrain(drain.id);
    audit(ctx, app.id, `Removed drain ${redactUrl(drain.url)} (${drain.id})`);
    sendJson(ctx.res, 200, view);
  });

  r.on('POST', '/apps/:app/log-drains/:drain/actions/test', async (ctx) => {
    const { drain } = drainOf(ctx);
    const result = await service(ctx).manager.test(drain.id);
    if (!result) throw new SluiceError('unavailable', 'The drain is starting; try again in a moment.');
    sendJson(ctx.res, 200, { drain: { id: drain.id, token: drain.token, url: redactUrl(drain.url) }, ...result });
  });
};
