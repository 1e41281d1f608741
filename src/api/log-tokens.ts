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
  name: z
    .string()
    .regex(TOKEN_NAME, 'must be 1–48 letters, digits, dots, dashes or underscores, e.g. "app"')
    // A name is written where the token was (the APP-NAME): one shaped like a token would put
    // token text into every line, and two tokens named after each other would route in a loop.
    .refine((n) => !TOKEN_SHAPED.test(n), 'must not look like a log or drain token (t.… or d.…)'),
});
const TOKEN_SHAPED = /^[td]\.[0-9a-f]{8}-/i;

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
    // The token behind an add-on's log_input_url is the add-on's, like its drain: removing the
    // add-on removes it (a partner would otherwise lose its input without being told).
    const addon = ctx.deps.store.listAddons(app.id).find((a) => a.log_token_id === victim.id);
    if (addon) {
      throw new SluiceError('forbidden', `This log token belongs to the add-on ${addon.name}; remove the add-on to remove its token.`);
    }
    await ctx.deps.store.deleteToken(victim.id);
    audit(ctx, app.id, `Log token "${victim.name}" deleted`);
    sendJson(ctx.res, 200, tokenView(victim));
  });
};
