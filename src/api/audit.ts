// SPEC §3.3: every change made through the API writes one `heroku[api]` line into the app's log.
import { platformLine } from '../core/stream-errors.js';
import type { Ctx } from './context.js';

export function audit(ctx: Ctx, appId: string, text: string): void {
  ctx.deps.router.publish(appId, platformLine('api', `${text} by ${ctx.principal().name}`));
}
