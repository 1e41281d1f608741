// `/addon-services`: an admin registers a partner by its manifest (SPEC §6.1); everyone lists them.
import { baseUrlAddressProblem, checkManifest } from '../addons/manifest.js';
import { serviceView } from '../addons/views.js';
import { SluiceError } from '../core/errors.js';
import type { RouteModule } from './context.js';
import { readJson, sendJson } from './http-util.js';

export const addonServiceRoutes: RouteModule = (r) => {
  r.on('POST', '/addon-services', async (ctx) => {
    ctx.deps.auth.requireAdmin(ctx.principal());
    const check = checkManifest(await readJson(ctx.req));
    if (!check.ok) throw new SluiceError('invalid_params', `Invalid manifest: ${check.reason}.`);
    const addr = await baseUrlAddressProblem(check.manifest.api.production.base_url);
    if (addr) throw new SluiceError('invalid_params', `Invalid manifest: api.production.base_url: ${addr}.`);
    const { store } = ctx.deps;
    const m = check.manifest;
    if (store.getAddonService(m.id)) {
      throw new SluiceError('conflict', `Add-on service ${m.id} is already registered; remove it first to replace its manifest.`);
    }
    const record = { id: m.id, name: m.name ?? m.id, manifest: JSON.stringify(m), created_at: new Date().toISOString() };
    await store.putAddonService(record);
    sendJson(ctx.res, 201, serviceView(record));
  });

  r.on('GET', '/addon-services', (ctx) => {
    const p = ctx.principal();
    const all = ctx.deps.store.listAddonServices();
    sendJson(ctx.res, 200, all.filter((s) => p.kind !== 'partner' || s.id === p.serviceId).map(serviceView));
  });

  r.on('GET', '/addon-services/:service', (ctx) => {
    const p = ctx.principal();
    const s = ctx.deps.store.getAddonService(ctx.params.service ?? '');
    if (!s || (p.kind === 'partner' && p.serviceId !== s.id)) {
      throw new SluiceError('not_found', "Couldn't find that add-on service.", 'addon_service');
    }
    sendJson(ctx.res, 200, serviceView(s));
  });

  r.on('DELETE', '/addon-services/:service', async (ctx) => {
    ctx.deps.auth.requireAdmin(ctx.principal());
    const { store } = ctx.deps;
    const s = store.getAddonService(ctx.params.service ?? '');
    if (!s) throw new SluiceError('not_found', "Couldn't find that add-on service.", 'addon_service');
    const attached = store.listAddons().filter((a) => a.service_id === s.id);
    if (attached.length > 0) {
      throw new SluiceError('conflict', `${s.id} is still attached as ${attached.map((a) => a.name).join(', ')}; remove those add-ons first.`);
    }
    await store.deleteAddonService(s.id);
    sendJson(ctx.res, 200, serviceView(s));
  });
};
