// `/apps/{app}/addons`: users attach, inspect, re-plan and remove add-ons (SPEC §5, §6.2–6.5).
import { z } from 'zod';
import type { Provisioner } from '../addons/provisioning.js';
import { addonExpandedView, addonView, attachmentView } from '../addons/views.js';
import { SluiceError } from '../core/errors.js';
import type { AddonRecord, AppRecord } from '../store/records.js';
import { audit } from './audit.js';
import { mayUseApp } from './auth.js';
import type { Ctx, RouteModule } from './context.js';
import { readJson, sendJson } from './http-util.js';
import { body } from './validate.js';

const PLAN = /^([a-z][a-z0-9-]*)(?::([a-z0-9][a-z0-9-]*))?$/;

const PlanName = z.string().regex(PLAN, 'must be "service" or "service:plan", e.g. "log-search:basic"');
const CreateAddon = z.object({
  /** A string, or `{name}` as the heroku CLI sends it. */
  plan: z.union([PlanName, z.object({ name: PlanName }).transform((p) => p.name)]),
  name: z.string().optional(),
  /** Heroku's name for the options passed to the partner (`--` flags of addons:create; a bare flag is `true`). */
  config: z
    .record(z.string(), z.union([z.string(), z.boolean(), z.number()]).transform(String))
    .optional(),
});
const ChangePlan = z.object({ plan: z.string().regex(PLAN, 'must be "service:plan" or "plan"') });

export function provisioner(ctx: Ctx): Provisioner {
  if (!ctx.deps.addons) throw new SluiceError('unavailable', 'Add-ons are not enabled on this server.');
  return ctx.deps.addons;
}

export const note = (ctx: Ctx) => (appId: string, text: string) => audit(ctx, appId, text);

function addonOf(ctx: Ctx, app: AppRecord): AddonRecord {
  const a = ctx.deps.store.getAddon(ctx.params.addon ?? '');
  if (!a || a.app_id !== app.id) throw new SluiceError('not_found', "Couldn't find that add-on.", 'addon');
  return a;
}

export const addonRoutes: RouteModule = (r) => {
  r.on('GET', '/apps/:app/addons', (ctx) => {
    const app = ctx.deps.auth.app(ctx.principal(), ctx.params.app ?? '');
    sendJson(ctx.res, 200, ctx.deps.store.listAddons(app.id).map((a) => addonExpandedView(a, ctx.deps.store)));
  });

  r.on('POST', '/apps/:app/addons', async (ctx) => {
    const app = ctx.deps.auth.app(ctx.principal(), ctx.params.app ?? '');
    const req = await body(ctx, CreateAddon);
    const [, service, plan] = PLAN.exec(req.plan)!;
    const { addon, message } = await provisioner(ctx).create(app, { service, plan, name: req.name, options: req.config }, note(ctx));
    sendJson(ctx.res, 201, { ...addonExpandedView(addon, ctx.deps.store), provision_message: message ?? null });
  });

  r.on('GET', '/apps/:app/addons/:addon', (ctx) => {
    const app = ctx.deps.auth.app(ctx.principal(), ctx.params.app ?? '');
    sendJson(ctx.res, 200, addonView(addonOf(ctx, app), ctx.deps.store));
  });

  r.on('PATCH', '/apps/:app/addons/:addon', async (ctx) => {
    const app = ctx.deps.auth.app(ctx.principal(), ctx.params.app ?? '');
    const addon = addonOf(ctx, app);
    const { plan } = await body(ctx, ChangePlan);
    const [, first, second] = PLAN.exec(plan)!;
    if (second !== undefined && first !== addon.service_id) {
      throw new SluiceError('invalid_params', `plan: ${addon.name} is a ${addon.service_id} add-on; a plan of ${first} does not apply.`);
    }
    const { addon: next, message } = await provisioner(ctx).changePlan(addon, second ?? first, note(ctx));
    sendJson(ctx.res, 200, { ...addonView(next, ctx.deps.store), provision_message: message ?? null });
  });

  r.on('DELETE', '/apps/:app/addons/:addon', async (ctx) => {
    const app = ctx.deps.auth.app(ctx.principal(), ctx.params.app ?? '');
    const addon = addonOf(ctx, app);
    // The heroku CLI sends `{force}` in the DELETE body; `?force=true` works too.
    const sent = (await readJson(ctx.req).catch(() => ({}))) as { force?: unknown };
    const force = ctx.query.get('force') === 'true' || sent.force === true;
    await provisioner(ctx).remove(addon, force, note(ctx));
    sendJson(ctx.res, 200, { ...addonView(addon, ctx.deps.store), state: 'deprovisioned' });
  });
};

/** Add-ons the caller may see: those of apps it may use. */
function visibleAddons(ctx: Ctx): AddonRecord[] {
  const p = ctx.principal();
  return ctx.deps.store
    .listApps()
    .filter((a) => mayUseApp(p, a.id))
    .flatMap((a) => ctx.deps.store.listAddons(a.id));
}

/**
 * The heroku CLI's listing and name resolution (`heroku addons`, `addons:info`, `addons:destroy`):
 * every add-on has one attachment, to its own app.
 */
export const addonAttachmentRoutes: RouteModule = (r) => {
  r.on('GET', '/addons', (ctx) => {
    sendJson(ctx.res, 200, visibleAddons(ctx).map((a) => addonExpandedView(a, ctx.deps.store)));
  });
  r.on('GET', '/addon-attachments', (ctx) => {
    sendJson(ctx.res, 200, visibleAddons(ctx).map((a) => attachmentView(a, ctx.deps.store)));
  });
  r.on('GET', '/apps/:app/addon-attachments', (ctx) => {
    const app = ctx.deps.auth.app(ctx.principal(), ctx.params.app ?? '');
    sendJson(ctx.res, 200, ctx.deps.store.listAddons(app.id).map((a) => attachmentView(a, ctx.deps.store)));
  });
  r.on('GET', '/addons/:addon/addon-attachments', (ctx) => {
    const a = visibleAddons(ctx).find((x) => x.id === ctx.params.addon || x.name === ctx.params.addon);
    if (!a) throw new SluiceError('not_found', "Couldn't find that add-on.", 'add_on');
    sendJson(ctx.res, 200, [attachmentView(a, ctx.deps.store)]);
  });

  /** Matches by add-on id or name, attachment name or service name (the last two within the app). */
  const resolve = async (ctx: Ctx, key: 'addon' | 'addon_attachment'): Promise<AddonRecord[]> => {
    const req = (await readJson(ctx.req)) as Record<string, unknown>;
    const wanted = typeof req[key] === 'string' ? (req[key] as string) : '';
    const appName = typeof req.app === 'string' ? req.app : undefined;
    const app = appName ? ctx.deps.auth.app(ctx.principal(), appName) : undefined;
    const { store } = ctx.deps;
    return visibleAddons(ctx).filter(
      (a) =>
        a.id === wanted ||
        a.name === wanted ||
        (a.app_id === app?.id && (attachmentView(a, store).name === wanted || a.service_id === wanted)),
    );
  };
  r.on('POST', '/actions/addons/resolve', async (ctx) => {
    const found = await resolve(ctx, 'addon');
    if (found.length === 0) throw new SluiceError('not_found', "Couldn't find that add-on.", 'add_on');
    sendJson(ctx.res, 200, found.map((a) => addonExpandedView(a, ctx.deps.store)));
  });
  r.on('POST', '/actions/addon-attachments/resolve', async (ctx) => {
    const found = await resolve(ctx, 'addon_attachment');
    if (found.length === 0) throw new SluiceError('not_found', "Couldn't find that add-on attachment.", 'add_on attachment');
    sendJson(ctx.res, 200, found.map((a) => attachmentView(a, ctx.deps.store)));
  });
};
