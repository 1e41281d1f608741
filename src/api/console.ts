// `GET /console` and `/console/…`: the web console's static files, and `GET /` pointing at it.
//
// The files in web/ are read once when the route module is built and kept in memory; a request
// only ever looks a name up in that map, so no part of a URL reaches the file system and there
// is nothing to traverse. Every file goes out with a strict Content-Security-Policy: the console
// runs only its own scripts and talks only to this origin.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerResponse } from 'node:http';
import { SluiceError } from '../core/errors.js';
import type { Ctx, RouteModule } from './context.js';

/** web/ beside dist/ (this file runs as dist/src/api/console.js, also inside the npm package). */
export const DEFAULT_WEB_DIR = fileURLToPath(new URL('../../../web/', import.meta.url));

export const CONSOLE_CSP = "default-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

interface StaticFile {
  body: Buffer;
  type: string;
  etag: string;
}

/** Every servable file under `dir` by its URL name (`console.js`, `img/x.svg`); other types are left out. */
export function loadWebFiles(dir: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const walk = (sub: string): void => {
    let names: string[];
    try {
      names = readdirSync(path.join(dir, sub));
    } catch {
      return; // no web/ (a stripped install): /console answers 404 saying so
    }
    for (const name of names) {
      if (name.startsWith('.')) continue;
      const rel = sub ? `${sub}/${name}` : name;
      const full = path.join(dir, rel);
      if (statSync(full).isDirectory()) {
        walk(rel);
        continue;
      }
      const type = TYPES[path.extname(name)];
      if (type === undefined) continue; // tsconfig.json, notes: not for the browser
      const body = readFileSync(full);
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
      files.set(rel, { body, type, etag });
    }
  };
  walk('');
  return files;
}

function securityHeaders(res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', CONSOLE_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
}

function send(ctx: Ctx, file: StaticFile): void {
  const { req, res } = ctx;
  securityHeaders(res);
  res.setHeader('Cache-Control', 'no-cache');
  res.setHeader('ETag', file.etag);
  if (req.headers['if-none-match'] === file.etag) {
    res.writeHead(304);
    res.end();
    return;
  }
  res.writeHead(200, { 'Content-Type': file.type, 'Content-Length': file.body.length });
  res.end(req.method === 'HEAD' ? undefined : file.body);
}

export function consoleRoutes(webDir: string = DEFAULT_WEB_DIR): RouteModule {
  const files = loadWebFiles(webDir);
  const notFound = (): SluiceError =>
    new SluiceError('not_found', files.size === 0 ? "The console's files (web/) are not installed." : 'Not found.');

  const index = (ctx: Ctx): void => {
    const file = files.get('index.html');
    if (!file) throw notFound();
    send(ctx, file);
  };
  const asset = (ctx: Ctx): void => {
    // Only names that were read at start are answered: `..`, `%2e%2e`, `//` and the like simply
    // are not keys of the map.
    const file = files.get(ctx.params['*'] ?? '');
    if (!file) throw notFound();
    send(ctx, file);
  };

  return (r) => {
    for (const method of ['GET', 'HEAD']) {
      r.on(method, '/console', index);
      r.on(method, '/console/*', (ctx) => (ctx.params['*'] ? asset(ctx) : index(ctx)));
      r.on(method, '/', (ctx) => {
        ctx.res.writeHead(302, { Location: '/console', 'Content-Length': 0 });
        ctx.res.end();
      });
    }
  };
}
