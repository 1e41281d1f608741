// The HTTP front: one listener, routes from resource modules, one error → status mapping.
import FindMyWay from 'find-my-way';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { SluiceError } from '../core/errors.js';
import type { Principal } from './auth.js';
import type { ApiDeps, Ctx, Handler, RouteModule } from './context.js';
import { sendError } from './http-util.js';

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

export function buildApi(deps: ApiDeps, modules: RouteModule[], onError: (err: unknown) => void): RequestListener {
  const fmw = FindMyWay({
    ignoreTrailingSlash: true,
    caseSensitive: true,
    maxParamLength: 2048,
    defaultRoute: (_req, res) => sendError(res, new SluiceError('not_found', 'Not found.')),
  });
  const table = {
    on(method: string, path: string, handler: Handler): void {
      fmw.on(method as FindMyWay.HTTPMethod, path, (req, res, params, _store, query) => {
        void run(handler, req, res, params, query as Record<string, string | string[]>);
      });
    },
  };
  for (const m of modules) m(table);

  async function run(
    handler: Handler,
    req: IncomingMessage,
    res: ServerResponse,
    params: Record<string, string | undefined>,
    rawQuery: Record<string, string | string[]>,
  ): Promise<void> {
    let principal: Principal | undefined;
    const ctx: Ctx = {
      req,
      res,
      params,
      query: toSearchParams(rawQuery),
      deps,
      principal: () => (principal ??= deps.auth.principal(req)),
    };
    try {
      await handler(ctx);
    } catch (err) {
      if (!(err instanceof SluiceError)) onError(err);
      sendError(res, err);
    }
  }

  return (req, res) => {
    // Every response carries a Request-Id; the caller's own (Heroku CLI sends one) is echoed.
    const incoming = req.headers['request-id'];
    const rid = typeof incoming === 'string' && incoming.length <= 200 ? incoming.split(',')[0] : randomUUID();
    res.setHeader('Request-Id', rid);
    const accept = req.headers.accept;
    if (accept !== undefined && !acceptable(accept)) {
      sendError(
        res,
        new SluiceError('not_acceptable', 'Set Accept: application/vnd.heroku+json; version=3 (or application/json) and try again.'),
      );
      return;
    }
    try {
      fmw.lookup(req, res);
    } catch (err) {
      onError(err);
      sendError(res, err);
    }
  };
}

/** Only Heroku's v3 (any `3.x` variant) is spoken; other media types pass (streams, curl's wildcard). */
function acceptable(accept: string): boolean {
  const i = accept.indexOf('application/vnd.heroku+json');
  if (i < 0) return true;
  const m = /version=([^\s;,]+)/.exec(accept.slice(i));
  return !m || m[1] === '3' || m[1].startsWith('3.');
}

function toSearchParams(q: Record<string, string | string[]>): URLSearchParams {
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) for (const item of Array.isArray(v) ? v : [v]) sp.append(k, item);
  return sp;
}
