// A real partner endpoint on 127.0.0.1 whose behaviour each test sets: answers, errors, silence.
// Not a mock: Sluice talks to it over HTTP exactly as to a partner's base_url.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Sluice } from './helpers/sluice.js';

/** JSON read off the wire: the tests' assertions are its type check. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface Seen {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Json;
}

/** What to do with one request: answer, or hang up / stay silent. */
/** How the partner answers a request: a status and body (optionally after `delayMs`), silence, or a cut connection. */
export type Behaviour = (req: Seen, n: number) => { status: number; body?: unknown; delayMs?: number; headers?: Record<string, string> } | 'hang' | 'drop';

export interface FakePartner {
  id: string;
  password: string;
  baseUrl: string;
  seen: Seen[];
  behave(b: Behaviour): void;
  manifest(extra?: { requires?: string[]; plans?: string[] }): unknown;
  close(): Promise<void>;
}

export async function startFakePartner(id: string, password: string): Promise<FakePartner> {
  let behaviour: Behaviour = () => ({ status: 200, body: { id: 'p-1' } });
  const seen: Seen[] = [];
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        /* keep text */
      }
      const s: Seen = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body };
      seen.push(s);
      const what = behaviour(s, seen.length);
      if (what === 'hang') {
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      }
      if (what === 'drop') {
        req.socket.destroy();
        return;
      }
      const out = what.body === undefined ? '' : JSON.stringify(what.body);
      const answer = (): void => {
        if (res.destroyed) return;
        res.writeHead(what.status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(out), ...what.headers });
        res.end(out);
      };
      if (what.delayMs) setTimeout(answer, what.delayMs).unref();
      else answer();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const baseUrl = `http://127.0.0.1:${port}/heroku/resources`;
  return {
    id,
    password,
    baseUrl,
    seen,
    behave: (b) => {
      behaviour = b;
    },
    manifest: (extra = {}) => ({
      id,
      name: `Fake ${id}`,
      ...(extra.plans ? { plans: extra.plans.map((name) => ({ name })) } : {}),
      api: {
        password,
        config_vars: [`${id.toUpperCase().replace(/-/g, '_')}_URL`],
        requires: extra.requires ?? ['syslog_drain', 'log_input'],
        production: { base_url: baseUrl },
        version: '3',
      },
    }),
    async close() {
      for (const r of hanging) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Basic auth header for a partner (manifest id:password). */
export const basic = (user: string, pass: string): string => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

/** A request to sluice as someone other than the admin (a partner, or nobody). */
export async function callAs(
  url: string,
  auth: string | undefined,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Json }> {
  const res = await fetch(url + path, {
    method,
    headers: {
      Accept: 'application/vnd.heroku+json; version=3',
      ...(auth ? { Authorization: auth } : {}),
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* text */
  }
  return { status: res.status, body: parsed };
}

/** Nothing of an add-on remains in `app`: no add-on, no add-on drain, no token beyond the app's own. */
export async function nothingLeft(s: Sluice, app: string): Promise<void> {
  const addons = await s.api('GET', `/apps/${app}/addons`);
  assert.deepEqual(addons.body, [], 'no add-on left');
  const tokens = await s.api('GET', `/apps/${app}/log-tokens`);
  assert.deepEqual(
    (tokens.body as { name: string }[]).map((t) => t.name).sort(),
    ['app', 'app'],
    'only the tokens the app made itself',
  );
  const drains = await s.api('GET', `/apps/${app}/log-drains`);
  assert.equal(drains.status, 200, `GET log-drains: ${JSON.stringify(drains.body)}`);
  assert.deepEqual(drains.body, [], 'no drain left');
}
