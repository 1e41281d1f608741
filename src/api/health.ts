// `/healthz` and `/metrics`: unauthenticated, and free of secrets by construction.
import type { RouteModule } from './context.js';
import { sendJson } from './http-util.js';

export const healthRoutes: RouteModule = (r) => {
  // Degraded is still 200: the node serves (input, reads); the body says what is wrong.
  r.on('GET', '/healthz', (ctx) => {
    const e = ctx.deps.engine?.();
    sendJson(ctx.res, 200, e ? { status: e.status, version: ctx.deps.config.version, engine: e.engine } : { status: 'ok', version: ctx.deps.config.version });
  });
  r.on('GET', '/metrics', (ctx) => {
    const text = ctx.deps.metrics.render();
    ctx.res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
    ctx.res.end(text);
  });
};
