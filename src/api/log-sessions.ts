// `POST /apps/{app}/log-sessions` and the session stream its `logplex_url` points at.
import { z } from 'zod';
import { SluiceError } from '../core/errors.js';
import { HISTORY_LINES } from '../history/contract.js';
import { serveSession } from '../tail/stream.js';
import type { RouteModule } from './context.js';
import { sendJson } from './http-util.js';
import { body } from './validate.js';

// Logplex took `num` as a string and `tail` by presence; accept the loose forms old clients send.
const count = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/).transform(Number)]);
const flag = z.union([z.boolean(), z.enum(['true', 'false']).transform((s) => s === 'true')]);
const filterValue = z.string().max(128).optional();

const CreateSession = z.object({
  lines: count.optional(),
  tail: flag.optional(),
  source: filterValue,
  dyno: filterValue,
  dyno_name: filterValue,
  type: filterValue,
  // Sluice's extensions (the console): a case-insensitive substring filter, and `<PRI>` per line.
  search: z.string().max(256).optional(),
  priority: flag.optional(),
});

export const logSessionRoutes: RouteModule = (r) => {
  r.on('POST', '/apps/:app/log-sessions', async (ctx) => {
    const app = ctx.deps.auth.app(ctx.principal(), ctx.params.app ?? '');
    const b = await body(ctx, CreateSession);
    const s = await ctx.deps.sessions.create({
      appId: app.id,
      // More than the history holds is answered with what it holds, as Heroku does.
      lines: Math.min(b.lines ?? 100, HISTORY_LINES),
      tail: b.tail ?? false,
      filter: { source: b.source || undefined, dyno: b.dyno_name || b.dyno || undefined, type: b.type || undefined, search: b.search || undefined },
      priority: b.priority ?? false,
    });
    const created = s.createdAt.toISOString();
    sendJson(ctx.res, 201, {
      id: s.id,
      logplex_url: `${ctx.deps.config.publicUrl}/sessions/${s.id}?secret=${s.secret}`,
      created_at: created,
      updated_at: created,
    });
  });

  // No API key here: the URL itself is the capability (the Heroku CLI sends no credentials).
  r.on('GET', '/sessions/:id', async (ctx) => {
    const s = await ctx.deps.sessions.open(ctx.params.id ?? '', ctx.query.get('secret') ?? '');
    if (!s || !ctx.deps.store.getApp(s.appId)) {
      throw new SluiceError('not_found', 'Log session not found, expired or already read: a session must be opened within 60 seconds, and one without tail serves its history once.');
    }
    // `batch=1` (SSE only, the web console): many lines per event; see tail/sse-batch.ts.
    await serveSession(ctx.req, ctx.res, s, { history: ctx.deps.history, hub: ctx.deps.hub, onHistoryError: ctx.deps.onHistoryError }, { batch: ctx.query.get('batch') === '1' });
  });
};
