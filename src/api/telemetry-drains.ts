// `/telemetry-drains`: Heroku's telemetry drains (OTLP out), stored as drain records with a `telemetry` exporter.
import { z } from 'zod';
import { SluiceError } from '../core/errors.js';
import { newDrainToken, newId } from '../core/ids.js';
import { redactUrl } from '../core/redact.js';
import { validateDrainUrl } from '../drains/url.js';
import type { AppRecord, DrainRecord, TelemetryConfig } from '../store/records.js';
import { audit } from './audit.js';
import type { Ctx, RouteModule } from './context.js';
import { sendJson } from './http-util.js';
import { body } from './validate.js';

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;
/** Headers Sluice sets itself on every export request. */
const RESERVED = new Set(['content-type', 'content-encoding', 'content-length', 'host', 'transfer-encoding', 'connection', 'te']);

const Headers = z
  .record(
    z.string().regex(HEADER_NAME, 'header names are HTTP tokens').refine((k) => !RESERVED.has(k.toLowerCase()), 'is set by Sluice and cannot be configured'),
    z.string().max(4096).regex(/^[^\r\n\0]*$/, 'header values cannot hold line breaks'),
  )
  .refine((h) => Object.keys(h).length <= 32, 'at most 32 headers');
const Signals = z.array(z.enum(['logs', 'traces', 'metrics'])).min(1, 'name at least one signal').max(3);
const ExporterType = z.string().refine((t) => t === 'otlphttp' || t === 'otlp', 'must be "otlphttp" (OTLP/HTTP) or "otlp" (gRPC)');
const Endpoint = z.string().trim().min(1, 'is required').max(2048);

const CreateDrain = z.object({
  exporter: z.object({ type: ExporterType, endpoint: Endpoint, headers: Headers.default({}) }),
  owner: z.object({ id: z.string().min(1), type: z.string() }),
  signals: Signals,
});
const UpdateDrain = z.object({
  exporter: z.object({ type: ExporterType.optional(), endpoint: Endpoint.optional(), headers: Headers.optional() }).optional(),
  signals: Signals.optional(),
});

function service(ctx: Ctx) {
  const d = ctx.deps.drains;
  if (!d) throw new SluiceError('unavailable', 'Drains are not enabled on this server.');
  return d;
}

async function checkEndpoint(ctx: Ctx, endpoint: string): Promise<void> {
  const svc = service(ctx);
  if (!/^https?:\/\//i.test(endpoint)) throw new SluiceError('invalid_params', 'exporter.endpoint: must be an http:// or https:// URL.');
  const check = await validateDrainUrl(endpoint, { denyPrivate: svc.denyPrivate, resolve: svc.resolve, self: svc.self?.() });
  if (!check.ok) throw new SluiceError('invalid_params', `Invalid telemetry drain endpoint: ${check.reason}.`);
}

/**
 * A telemetry drain's record `url`: the exporter type in front of the endpoint, so the store's
 * one-URL-per-app rule means "one drain per type and endpoint" and never collides with a log drain.
 */
const recordUrl = (t: TelemetryConfig): string => `${t.type}:${t.endpoint}`;

/** The Heroku `telemetry-drain` object; headers (secrets) only reach callers who may manage the app. */
export function telemetryDrainView(d: DrainRecord, app: AppRecord | undefined) {
  const t = d.telemetry!;
  return {
    id: d.id,
    created_at: d.created_at,
    updated_at: d.updated_at,
    owner: { id: d.app_id, type: 'app', name: app?.name ?? null },
    signals: t.signals,
    exporter: { type: t.type, endpoint: t.endpoint, headers: t.headers },
  };
}

/** The telemetry drain `{id}` of an app the caller may use, else 404. */
function drainOf(ctx: Ctx): { app: AppRecord; drain: DrainRecord } {
  const d = ctx.deps.store.getDrain(ctx.params.id ?? '');
  const app = d?.telemetry ? ctx.deps.store.getApp(d.app_id) : undefined;
  if (!d || !app) throw new SluiceError('not_found', "Couldn't find that telemetry drain.", 'telemetry-drain');
  try {
    ctx.deps.auth.app(ctx.principal(), app.id);
  } catch (e) {
    if (e instanceof SluiceError && e.id === 'not_found') throw new SluiceError('not_found', "Couldn't find that telemetry drain.", 'telemetry-drain');
    throw e;
  }
  return { app, drain: d };
}

/** The view plus the drain's health; `queued_requests` / `dropped_requests` count passed-through traces/metrics requests. */
async function withHealth(ctx: Ctx, d: DrainRecord, app: AppRecord) {
  const m = ctx.deps.drains?.manager;
  // Cluster mode: the drain's own health (the owner's, the same on every node); the passed-through
  // requests are counted where they wait, so only the owner shows them.
  const shared = ctx.deps.drains?.health;
  const health = (shared ? ((await shared(d.id)) as Record<string, unknown> | undefined) : m?.health(d.id)) ?? undefined;
  const signals = m?.signalStats(d.id);
  const requests = signals ? { queued_requests: signals.queued, dropped_requests: signals.dropped } : {};
  return { ...telemetryDrainView(d, app), health: health ? { ...health, ...requests } : null };
}

export const telemetryDrainRoutes: RouteModule = (r) => {
  r.on('POST', '/telemetry-drains', async (ctx) => {
    const req = await body(ctx, CreateDrain);
    if (req.owner.type !== 'app') throw new SluiceError('invalid_params', `owner.type: Sluice has apps only, not ${req.owner.type}s.`);
    const app = ctx.deps.auth.app(ctx.principal(), req.owner.id);
    await checkEndpoint(ctx, req.exporter.endpoint);
    const svc = service(ctx);
    const { store } = ctx.deps;
    const existing = store.listDrains(app.id);
    if (existing.some((d) => d.telemetry?.endpoint === req.exporter.endpoint && d.telemetry.type === req.exporter.type)) {
      throw new SluiceError('conflict', `Already exists: ${app.name} already exports to ${redactUrl(req.exporter.endpoint)}.`);
    }
    if (existing.length >= svc.maxPerApp) {
      throw new SluiceError('invalid_params', `You have already added the maximum number of drains allowed (${svc.maxPerApp}) to ${app.name}.`);
    }
    const now = new Date().toISOString();
    const telemetry: TelemetryConfig = {
      type: req.exporter.type as TelemetryConfig['type'],
      endpoint: req.exporter.endpoint,
      headers: req.exporter.headers,
      signals: [...new Set(req.signals)],
    };
    const drain: DrainRecord = { id: newId(), app_id: app.id, token: newDrainToken(), url: recordUrl(telemetry), addon_id: null, telemetry, created_at: now, updated_at: now };
    // The store enforces the per-app limit and uniqueness again in the write (another node may be adding now).
    await store.putDrain(drain, { maxPerApp: svc.maxPerApp });
    audit(ctx, app.id, `Added telemetry drain ${redactUrl(telemetry.endpoint)} (${telemetry.signals.join(', ')})`);
    sendJson(ctx.res, 201, telemetryDrainView(drain, app));
  });

  r.on('GET', '/apps/:app/telemetry-drains', async (ctx) => {
    const app = ctx.deps.auth.app(ctx.principal(), ctx.params.app ?? '');
    sendJson(ctx.res, 200, await Promise.all(ctx.deps.store.listDrains(app.id).filter((d) => d.telemetry).map((d) => withHealth(ctx, d, app))));
  });

  r.on('GET', '/telemetry-drains/:id', async (ctx) => {
    const { app, drain } = drainOf(ctx);
    sendJson(ctx.res, 200, await withHealth(ctx, drain, app));
  });

  r.on('PATCH', '/telemetry-drains/:id', async (ctx) => {
    const { app, drain } = drainOf(ctx);
    const req = await body(ctx, UpdateDrain);
    const cur = drain.telemetry!;
    const next: TelemetryConfig = {
      type: (req.exporter?.type as TelemetryConfig['type'] | undefined) ?? cur.type,
      endpoint: req.exporter?.endpoint ?? cur.endpoint,
      headers: req.exporter?.headers ?? cur.headers,
      signals: req.signals ? [...new Set(req.signals)] : cur.signals,
    };
    if (next.endpoint !== cur.endpoint) await checkEndpoint(ctx, next.endpoint);
    const updated: DrainRecord = { ...drain, url: recordUrl(next), telemetry: next, updated_at: new Date().toISOString() };
    await ctx.deps.store.putDrain(updated);
    audit(ctx, app.id, `Updated telemetry drain ${redactUrl(next.endpoint)} (${next.signals.join(', ')})`);
    sendJson(ctx.res, 200, telemetryDrainView(updated, app));
  });

  r.on('DELETE', '/telemetry-drains/:id', async (ctx) => {
    const { app, drain } = drainOf(ctx);
    await ctx.deps.store.deleteDrain(drain.id);
    audit(ctx, app.id, `Removed telemetry drain ${redactUrl(drain.telemetry!.endpoint)}`);
    sendJson(ctx.res, 200, telemetryDrainView(drain, app));
  });

  r.on('POST', '/telemetry-drains/:id/actions/test', async (ctx) => {
    const { drain } = drainOf(ctx);
    const result = await service(ctx).manager.test(drain.id);
    if (!result) throw new SluiceError('unavailable', 'The drain is starting; try again in a moment.');
    sendJson(ctx.res, 200, { drain: { id: drain.id, endpoint: redactUrl(drain.telemetry!.endpoint) }, ...result });
  });

  // Sluice has no spaces: the CLI's --space forms get a clear answer instead of a crash.
  const noSpaces = (ctx: Ctx): void => {
    throw new SluiceError('not_found', `Couldn't find that space: Sluice has apps only, not spaces (${ctx.params.space ?? ''}).`, 'space');
  };
  r.on('GET', '/spaces/:space', noSpaces);
  r.on('GET', '/spaces/:space/telemetry-drains', noSpaces);
};
