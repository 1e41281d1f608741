// `/healthz` (always open) and `/metrics` (open, or behind a bearer token with `--metrics-auth`).
import { SluiceError } from '../core/errors.js';
import { safeEqual } from '../core/secret.js';
import { credentials } from '../http/credentials.js';
import type { RouteModule } from './context.js';
import { sendJson } from './http-util.js';

export const healthRoutes: RouteModule = (r) => {
  // Degraded is still 200: the node serves (input, reads); the body says what is wrong.
  r.on('GET', '/healthz', (ctx) => {
    const e = ctx.deps.engine?.();
    sendJson(ctx.res, 200, e ? { status: e.status, version: ctx.deps.config.version, engine: e.engine } : { status: 'ok', version: ctx.deps.config.version });
  });
  r.on('GET', '/metrics', (ctx) => {
    const want = ctx.deps.config.metricsToken;
    if (want !== undefined) {
      // Bearer (Prometheus `authorization`) or Basic with the token as password (`basic_auth`).
      const got = credentials(ctx.req)?.secret;
      if (got === undefined || !safeEqual(got, want)) {
        ctx.res.setHeader('WWW-Authenticate', 'Bearer realm="sluice metrics"');
        throw new SluiceError('unauthorized', 'Metrics need the bearer token set with --metrics-auth.');
      }
    }
    const text = ctx.deps.metrics.render();
    ctx.res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
    ctx.res.end(text);
  });
};
