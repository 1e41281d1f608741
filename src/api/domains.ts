// `/apps/{app}/domains`: the hostnames whose router (load balancer) lines belong to an app.
import { z } from 'zod';
import { SluiceError } from '../core/errors.js';
import { domainInUse } from '../store/rules.js';
import { audit } from './audit.js';
import type { RouteModule } from './context.js';
import { sendJson } from './http-util.js';
import { body } from './validate.js';

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const CreateDomain = z.object({
  hostname: z
    .string()
    .transform((s) => s.toLowerCase())
    .refine((s) => HOSTNAME.test(s), 'must be a DNS hostname such as www.example.com'),
});

export const domainRoutes: RouteModule = (r) => {
  r.on('GET', '/apps/:app/domains', (ctx) => {
    const app = ctx.deps.auth.app(ctx.principal(), ctx.params.app ?? '');
    sendJson(ctx.res, 200, ctx.deps.store.listDomains(app.id));
  });

  r.on('POST', '/apps/:app/domains', async (ctx) => {
    const app = ctx.deps.auth.app(ctx.principal(), ctx.params.app ?? '');
    const { hostname } = await body(ctx, CreateDomain);
    if (ctx.deps.store.domainOwner(hostname)) throw domainInUse(hostname);
    const d = { app_id: app.id, hostname, created_at: new Date().toISOString() };
    await ctx.deps.store.putDomain(d);
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
