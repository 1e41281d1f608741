// `/apps/{app}/domains`: the hostnames whose router (load balancer) lines belong to an app. A
// hostname another tenant holds is refused as "not available", like reserved names (no oracle).
import { z } from 'zod';
import { SluiceError } from '../core/errors.js';
import { audit } from './audit.js';
import { mayUseApp } from './auth.js';
import type { Ctx, RouteModule } from './context.js';
import { sendJson } from './http-util.js';
import { body } from './validate.js';

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const CreateDomain = z.object({
  hostname: z
    .string()
    .transform((s) => s.toLowerCase())
    .refine((s) => HOSTNAME.test(s), 'must be a DNS hostname such as www.example.com'),
});

/** Names no app may route: this machine's, the never-existing, and bare IP addresses. */
function reserved(h: string): boolean {
  return h === 'localhost' || h.endsWith('.localhost') || h.endsWith('.invalid') || /^[0-9.]+$/.test(h);
}

const notAvailable = (h: string): string => `hostname: ${h} is not available; choose another name.`;

/**
 * A taken hostname: the caller who may see its app is told which (409); anyone else gets the
 * answer a reserved name gets (422), so a limited key learns nothing about other tenants.
 */
function refusal(ctx: Ctx, hostname: string, ownerId: string | undefined): SluiceError {
  return ownerId !== undefined && mayUseApp(ctx.principal(), ownerId)
    ? new SluiceError('conflict', `${hostname} is already added to ${ctx.deps.store.getApp(ownerId)?.name ?? ownerId}.`)
    : new SluiceError('invalid_params', notAvailable(hostname));
}

export const domainRoutes: RouteModule = (r) => {
  r.on('GET', '/apps/:app/domains', (ctx) => {
    const app = ctx.deps.auth.app(ctx.principal(), ctx.params.app ?? '');
    sendJson(ctx.res, 200, ctx.deps.store.listDomains(app.id));
  });

  r.on('POST', '/apps/:app/domains', async (ctx) => {
    const p = ctx.principal();
    const app = ctx.deps.auth.app(p, ctx.params.app ?? '');
    const { hostname } = await body(ctx, CreateDomain);
    const owner = ctx.deps.store.domainOwner(hostname);
    if (owner) throw refusal(ctx, hostname, owner.app_id);
    if (reserved(hostname)) throw new SluiceError('invalid_params', notAvailable(hostname));
    const d = { app_id: app.id, hostname, created_at: new Date().toISOString() };
    try {
      await ctx.deps.store.putDomain(d);
    } catch (err) {
      // Another app won the name meanwhile (the store's compare-and-set): answered as above.
      if (err instanceof SluiceError && err.id === 'conflict') throw refusal(ctx, hostname, ctx.deps.store.domainOwner(hostname)?.app_id);
      throw err;
    }
    audit(ctx, app.id, `Domain ${hostname} added`);
    sendJson(ctx.res, 201, d);
  });

  r.on('DELETE', '/apps/:app/domains/:hostname', async (ctx) => {
    const app = ctx.deps.auth.app(ctx.principal(), ctx.params.app ?? '');
    const d = ctx.deps.store.domainOwner(ctx.params.hostname ?? '');
    if (!d || d.app_id !== app.id) throw new SluiceError('not_found', "Couldn't find that domain.", 'domain');
    await ctx.deps.store.deleteDomain(d.hostname);
    audit(ctx, app.id, `Domain ${d.hostname} removed`);
    sendJson(ctx.res, 200, d);
  });
};
