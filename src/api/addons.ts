// `/apps/{app}/addons`: users attach, inspect, re-plan and remove add-ons (SPEC §5, §6.2–6.5).
import { z } from 'zod';
import type { Provisioner } from '../addons/provisioning.js';
import { addonView } from '../addons/views.js';
import { SluiceError } from '../core/errors.js';
import type { AddonRecord, AppRecord } from '../store/records.js';
import { audit } from './audit.js';
import type { Ctx, RouteModule } from './context.js';
import { sendJson } from './http-util.js';
import { body } from './validate.js';

const PLAN = /^([a-z][a-z0-9-]*)(?::([a-z0-9][a-z0-9-]*))?$/;

const CreateAddon = z.object({
  plan: z.string().regex(PLAN, 'must be "service" or "service:plan", e.g. "log-search:basic"'),
  name: z.string().optional(),
  /** Heroku's name for the options passed to the partner (`--` flags of addons:create). */
  config: z.record(z.string(), z.string()).optional(),
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
    sendJson(ctx.res, 200, ctx.deps.store.listAddons(app.id).map((a) => addonView(a, ctx.deps.store)));
  });

  r.on('POST', '/apps/:app/addons', async (ctx) => {
    const app = ctx.deps.auth.app(ctx.principal(), ctx.params.app ?? '');
    const req = await body(ctx, CreateAddon);
    const [, service, plan] = PLAN.exec(req.plan)!;
    const { addon, message } = await provisioner(ctx).create(app, { service, plan, name: req.name, options: req.config }, note(ctx));
    sendJson(ctx.res, 201, { ...addonView(addon, ctx.deps.store), provision_message: message ?? null });
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
    const force = ctx.query.get('force') === 'true';
    await provisioner(ctx).remove(addon, force, note(ctx));
    sendJson(ctx.res, 200, { ...addonView(addon, ctx.deps.store), state: 'deprovisioned' });
  });
};
