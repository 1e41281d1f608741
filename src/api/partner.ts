// `/addons/{addon}/…`: the routes a partner calls as its manifest `id:password` (SPEC §5, §6.3–6.4):
// finishing an asynchronous provision and moving the drain it owns. A partner sees only its own
// add-ons (others are 404); admins may do everything; keys that may use the app may only read.
import { z } from 'zod';
import { configView, addonView } from '../addons/views.js';
import { SluiceError } from '../core/errors.js';
import type { AddonRecord, DrainRecord } from '../store/records.js';
import { provisioner, note } from './addons.js';
import { mayUseApp } from './auth.js';
import type { Ctx, RouteModule } from './context.js';
import { drainView } from './drain-view.js';
import { sendJson } from './http-util.js';
import { body } from './validate.js';

const ConfigUpdate = z.object({
  config: z.array(z.object({ name: z.string(), value: z.string().nullable() }), {
    error: 'must be an array of {name, value}',
  }),
});
const MoveDrain = z.object({ url: z.string({ error: 'is required: the new URL of the drain' }) });

function addonFor(ctx: Ctx, write: boolean): AddonRecord {
  const p = ctx.principal();
  const a = ctx.deps.store.getAddon(ctx.params.addon ?? '');
  const visible = a && (p.kind === 'partner' ? p.serviceId === a.service_id : mayUseApp(p, a.app_id));
  if (!a || !visible) throw new SluiceError('not_found', "Couldn't find that add-on.", 'addon');
  if (write && p.kind === 'key') {
    throw new SluiceError('forbidden', "Only the add-on's provider (its manifest id and password) can change this.");
  }
  return a;
}

function drainOf(ctx: Ctx, addon: AddonRecord): DrainRecord {
  const raw = ctx.params.drain ?? '';
  let key = raw;
  try {
    key = decodeURIComponent(raw);
  } catch {
    /* already decoded, or not encoded */
  }
  const d = provisioner(ctx)
    .drainsOf(addon)
    .find((x) => x.id === key || x.url === key || x.token === key || x.id === raw || x.url === raw);
  if (!d) throw new SluiceError('not_found', "Couldn't find that log drain.", 'log-drain');
  return d;
}

export const partnerRoutes: RouteModule = (r) => {
  r.on('GET', '/addons/:addon', (ctx) => {
    sendJson(ctx.res, 200, addonView(addonFor(ctx, false), ctx.deps.store));
  });

  r.on('GET', '/addons/:addon/config', (ctx) => {
    sendJson(ctx.res, 200, configView(addonFor(ctx, false)));
  });

  r.on('PATCH', '/addons/:addon/config', async (ctx) => {
    const addon = addonFor(ctx, true);
    const { config } = await body(ctx, ConfigUpdate);
    sendJson(ctx.res, 200, configView(await provisioner(ctx).setConfig(addon, config, note(ctx))));
  });

  r.on('POST', '/addons/:addon/actions/provision', async (ctx) => {
    const addon = addonFor(ctx, true);
    sendJson(ctx.res, 200, addonView(await provisioner(ctx).markProvisioned(addon, note(ctx)), ctx.deps.store));
  });

  r.on('GET', '/addons/:addon/log-drains', (ctx) => {
    const addon = addonFor(ctx, false);
    sendJson(ctx.res, 200, provisioner(ctx).drainsOf(addon).map((d) => drainView(d, ctx.deps.store)));
  });

  r.on('GET', '/addons/:addon/log-drains/:drain', (ctx) => {
    const addon = addonFor(ctx, false);
    sendJson(ctx.res, 200, drainView(drainOf(ctx, addon), ctx.deps.store));
  });

  r.on('PUT', '/addons/:addon/log-drains/:drain', async (ctx) => {
    const addon = addonFor(ctx, true);
    const drain = drainOf(ctx, addon);
    const { url } = await body(ctx, MoveDrain);
    const moved = await provisioner(ctx).moveDrain(addon, drain, url, note(ctx));
    sendJson(ctx.res, 200, drainView(moved, ctx.deps.store));
  });
};
