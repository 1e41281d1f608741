// The example add-on's HTTP side: the provisioning API Sluice calls, the drain Sluice delivers to,
// and search over what arrived (a JSON API and a small HTML page).
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { checkBasicAuth, drainHandler, safeEqual } from '../../partner-kit/index.js';
import type { AddonStore, Hit, Installation } from './store.js';

export interface AddonConfig {
  /** Manifest id: the Basic user of provisioning calls. */
  id: string;
  /** Manifest api.password. */
  password: string;
  /** Where this server is reachable from Sluice and from browsers, e.g. https://search.example.com. */
  publicUrl: () => string;
  /** Told about events worth a line in the add-on's own log; never given a secret. */
  log: (line: string) => void;
}

const secret = (): string => randomBytes(18).toString('base64url');
const PROVISION = '/heroku/resources';

export function createAddonServer(store: AddonStore, cfg: AddonConfig): http.Server {
  const drains = drainHandler<Installation>({
    authenticate: ({ drainToken, username, password, path }) => {
      const id = /^\/drains\/([A-Za-z0-9_-]+)$/.exec(path.split('?')[0])?.[1];
      const inst = id ? store.byId(id) : undefined;
      if (!inst || !inst.drain_token) return undefined;
      const tokenOk = safeEqual(drainToken, inst.drain_token);
      const passOk = safeEqual(username ?? '', 'drain') && safeEqual(password ?? '', inst.drain_password);
      return tokenOk && passOk ? inst : undefined;
    },
    onBatch: ({ installation, records }) => store.addLines(installation.id, records),
  });

  return http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (path.startsWith('/drains/')) return drains(req, res);
    if (path === PROVISION || path.startsWith(`${PROVISION}/`)) {
      if (!checkBasicAuth(req.headers.authorization, cfg.id, cfg.password)) {
        return send(res, 401, { message: 'Wrong add-on credentials.' }, { 'WWW-Authenticate': 'Basic realm="log-search"' });
      }
      return void readJson(req).then(
        (body) => provisioning(req.method ?? 'GET', decodeURIComponent(path.slice(PROVISION.length + 1)), body, res),
        () => send(res, 400, { message: 'Body is not JSON.' }),
      );
    }
    const m = /^\/(search|api\/search)\/([A-Za-z0-9_-]+)$/.exec(path);
    if (req.method === 'GET' && m) return search(m[1] === 'search', m[2], url, res);
    if (path === '/') return send(res, 200, { service: cfg.id, provision: PROVISION });
    send(res, 404, { message: 'Not found.' });
  });

  function provisioning(method: string, id: string, body: Record<string, unknown>, res: http.ServerResponse): void {
    if (method === 'POST' && id === '') {
      const uuid = typeof body.uuid === 'string' ? body.uuid : '';
      if (!uuid) return send(res, 422, { message: 'uuid is required.' });
      // At-least-once delivery: the same uuid gets the same installation and the same answer.
      let inst = store.byUuid(uuid);
      const fresh = !inst;
      if (!inst) {
        inst = {
          id: secret().slice(0, 12).replace(/[^A-Za-z0-9]/g, 'x'),
          uuid,
          name: typeof body.name === 'string' ? body.name : uuid,
          plan: typeof body.plan === 'string' ? body.plan : 'basic',
          drain_token: typeof body.log_drain_token === 'string' ? body.log_drain_token : null,
          drain_password: secret(),
          search_key: secret(),
          created_at: new Date().toISOString(),
        };
        store.insert(inst);
        cfg.log(`provisioned ${inst.id} for ${inst.name} (${inst.plan})`);
      }
      send(res, 200, {
        id: inst.id,
        config: { LOG_SEARCH_URL: searchUrl(inst) },
        ...(inst.drain_token ? { log_drain_url: drainUrl(inst) } : {}),
        message: `Log Search is ready: ${cfg.publicUrl()}/search/${inst.id}`,
      });
      const input = body.log_input_url;
      if (fresh && typeof input === 'string') void announce(input, inst);
      return;
    }
    const inst = id ? store.byId(id) : undefined;
    if (!inst) return send(res, 404, { message: `No installation ${id}.` });
    if (method === 'PUT') {
      const plan = typeof body.plan === 'string' ? body.plan : inst.plan;
      store.setPlan(inst.id, plan);
      cfg.log(`plan of ${inst.id} is now ${plan}`);
      return send(res, 200, { config: { LOG_SEARCH_URL: searchUrl(inst) }, message: `Now on plan ${plan}.` });
    }
    if (method === 'DELETE') {
      store.remove(inst.id);
      cfg.log(`deprovisioned ${inst.id}`);
      res.writeHead(204).end();
      return;
    }
    send(res, 405, { message: 'Use POST, PUT or DELETE.' });
  }

  function search(html: boolean, id: string, url: URL, res: http.ServerResponse): void {
    const inst = store.byId(id);
    if (!inst || !safeEqual(url.searchParams.get('key') ?? '', inst.search_key)) return send(res, 404, { message: 'Not found.' });
    const q = url.searchParams.get('q') ?? '';
    const hits = store.search(inst.id, q);
    if (!html) {
      return send(res, 200, { installation: { id: inst.id, name: inst.name, plan: inst.plan, drain_token: inst.drain_token }, total: store.count(inst.id), q, hits });
    }
    const page = renderPage(inst, q, hits, store.count(inst.id));
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(page) });
    res.end(page);
  }

  function searchUrl(i: Installation): string {
    return `${cfg.publicUrl()}/search/${i.id}?key=${i.search_key}`;
  }

  function drainUrl(i: Installation): string {
    const u = new URL(`/drains/${i.id}`, cfg.publicUrl());
    u.username = 'drain';
    u.password = i.drain_password;
    return u.toString();
  }

  /** Writes one line into the app's log through `log_input_url` (SPEC §6.2), retried a few times. */
  async function announce(logInputUrl: string, inst: Installation): Promise<void> {
    const u = new URL(logInputUrl);
    const auth = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
    u.username = '';
    u.password = '';
    const msg = `<190>1 ${new Date().toISOString()} host log-search log-search - - Log Search is now indexing this app's logs (${inst.name})`;
    for (let i = 0; i < 3; i++) {
      try {
        const r = await fetch(u, {
          method: 'POST',
          headers: { Authorization: auth, 'Content-Type': 'application/logplex-1', 'User-Agent': 'LogSearchAddon/1.0 (sluice example)' },
          body: `${Buffer.byteLength(msg)} ${msg}`,
          signal: AbortSignal.timeout(5_000),
        });
        if (r.ok) return;
        cfg.log(`log_input_url answered ${r.status}`);
      } catch (err) {
        cfg.log(`log_input_url failed: ${(err as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 500 * (i + 1)));
    }
  }
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 1 << 20) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        const v: unknown = text ? JSON.parse(text) : {};
        resolve(typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {});
      } catch (e) {
        reject(e as Error);
      }
    });
    req.on('error', reject);
  });
}

const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function renderPage(inst: Installation, q: string, hits: Hit[], total: number): string {
  const rows = hits
    .map((h) => `<tr><td>${esc(h.time)}</td><td>${esc(h.source)}[${esc(h.procid)}]</td><td>${esc(h.message)}</td></tr>`)
    .join('\n');
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>Log Search — ${esc(inst.name)}</title>
<style>body{font:14px system-ui;margin:2em}td{padding:2px 8px;font-family:monospace;vertical-align:top}</style></head>
<body><h1>Log Search: ${esc(inst.name)}</h1>
<form method="get"><input type="hidden" name="key" value="${esc(inst.search_key)}">
<input name="q" value="${esc(q)}" placeholder="text to find" autofocus> <button>Search</button></form>
<p>${hits.length} of ${total} lines${q ? ` matching “${esc(q)}”` : ''} (newest first).</p>
<table>${rows}</table></body></html>
`;
}
