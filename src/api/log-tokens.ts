// `/apps/{app}/log-tokens`: the credentials that write into an app's log under a source name.
import { z } from 'zod';
import { SluiceError } from '../core/errors.js';
import { TOKEN_NAME, newId, newLogToken } from '../core/ids.js';
import { audit } from './audit.js';
import type { RouteModule } from './context.js';
import { sendJson } from './http-util.js';
import { body } from './validate.js';
import { tokenView } from './views.js';

const CreateToken = z.object({
  name: z.string().regex(TOKEN_NAME, 'must be 1–48 letters, digits, dots, dashes or underscores, e.g. "app"'),
});

export const logTokenRoutes: RouteModule = (r) => {
  r.on('GET', '/apps/:app/log-tokens', (ctx) => {
    const app = ctx.deps.auth.app(ctx.principal(), ctx.params.app ?? '');
    sendJson(ctx.res, 200, ctx.deps.store.listTokens(app.id).map(tokenView));
  });

  r.on('POST', '/apps/:app/log-tokens', async (ctx) => {
    const app = ctx.deps.auth.app(ctx.principal(), ctx.params.app ?? '');
    const { name } = await body(ctx, CreateToken);
    const token = { id: newId(), app_id: app.id, name, token: newLogToken(), created_at: new Date().toISOString() };
    await ctx.deps.store.putToken(token);
    audit(ctx, app.id, `Log token "${name}" created`);
    sendJson(ctx.res, 201, tokenView(token));
  });

  r.on('DELETE', '/apps/:app/log-tokens/:token', async (ctx) => {
    const app = ctx.deps.auth.app(ctx.principal(), ctx.params.app ?? '');
    const key = ctx.params.token ?? '';
    const tokens = ctx.deps.store.listTokens(app.id);
    const found = tokens.find((t) => t.id === key) ?? tokens.filter((t) => t.name === key);
    const victim = Array.isArray(found) ? (found.length === 1 ? found[0] : undefined) : found;
    if (Array.isArray(found) && found.length > 1) {
      throw new SluiceError('conflict', `Several tokens are named "${key}"; delete one by its id.`);
    }
    if (!victim) throw new SluiceError('not_found', "Couldn't find that log token.", 'log-token');
    await ctx.deps.store.deleteToken(victim.id);
    audit(ctx, app.id, `Log token "${victim.name}" deleted`);
    sendJson(ctx.res, 200, tokenView(victim));
  });
};
