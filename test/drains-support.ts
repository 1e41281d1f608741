// Support for the drain integration tests: real receivers on 127.0.0.1 (HTTP, HTTPS, TCP, TLS,
// UDP), test certificates made with the openssl CLI, and an in-process drain manager over a real
// SQLite store. Every server is closed by the `close()` it returns; callers do that in `after`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import dgram from 'node:dgram';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import type { LogLine } from '../src/core/log-line.js';
import { newDrainToken, newId } from '../src/core/ids.js';
import type { DrainOptions } from '../src/drains/contract.js';
import { DrainManager, type QueueSettings } from '../src/drains/manager.js';
import type { Logger } from '../src/telemetry/logger.js';
import { openDatabase } from '../src/store/sqlite-db.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import type { DrainRecord } from '../src/store/records.js';

export function tmpDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface Certs {
  dir: string;
  caFile: string;
  ca: Buffer;
  /** For `localhost` and 127.0.0.1. */
  cert: Buffer;
  key: Buffer;
  certFile: string;
  keyFile: string;
  /** For `wrong.example` only. */
  wrongCert: Buffer;
  wrongKey: Buffer;
}

/** A CA, a server certificate for localhost/127.0.0.1 and one for another name, via openssl. */
export function makeCerts(): Certs {
  const dir = tmpDir('sluice-certs-');
  const run = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'pipe', timeout: 30_000 });
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Sluice Test CA');
  // -extfile from a file (some openssl builds don't read /dev/stdin reliably).
  const ext = (name: string, san: string): void => {
    const f = path.join(dir, `${name}.ext`);
    execFileSync('sh', ['-c', `printf '%s\\n' 'subjectAltName=${san}' 'basicConstraints=CA:FALSE' 'extendedKeyUsage=serverAuth' > '${f}'`]);
    run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    run('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', f);
  };
  ext('localhost', 'DNS:localhost,IP:127.0.0.1');
  ext('wrong', 'DNS:wrong.example');
  const r = (f: string): Buffer => readFileSync(path.join(dir, f));
  return {
    dir,
    caFile: path.join(dir, 'ca.pem'),
    ca: r('ca.pem'),
    cert: r('localhost.pem'),
    key: r('localhost.key'),
    certFile: path.join(dir, 'localhost.pem'),
    keyFile: path.join(dir, 'localhost.key'),
    wrongCert: r('wrong.pem'),
    wrongKey: r('wrong.key'),
  };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
// HTTP receiver

export interface Received {
  method: string;
  url: string;
  rawHeaders: string[];
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  at: number;
}

export type Responder = (r: Received, res: http.ServerResponse) => void;

export interface HttpReceiver {
  port: number;
  requests: Received[];
  /** Change how the next requests are answered (default 200). */
  respond: Responder;
  /** Every frame of every 2xx-answered request, in order (L10 lines included). */
  frames(): string[];
  close(): Promise<void>;
}

export async function httpReceiver(o: { tls?: { cert: Buffer; key: Buffer }; port?: number } = {}): Promise<HttpReceiver> {
  const requests: Received[] = [];
  const rx: HttpReceiver = {
    port: 0,
    requests,
    respond: (_r, res) => {
      res.writeHead(200);
      res.end();
    },
    frames: () => requests.filter((r) => (r as Received & { ok?: boolean }).ok).flatMap((r) => splitFrames(r.body)),
    close: async () => {},
  };
  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received & { ok?: boolean } = {
        method: req.method ?? '',
        url: req.url ?? '',
        rawHeaders: req.rawHeaders,
        headers: req.headers,
        body: Buffer.concat(chunks),
        at: Date.now(),
      };
      requests.push(r);
      const writeHead = res.writeHead.bind(res);
      res.writeHead = ((status: number, ...rest: unknown[]) => {
        r.ok = status >= 200 && status < 300;
        return (writeHead as (...a: unknown[]) => http.ServerResponse)(status, ...rest);
      }) as typeof res.writeHead;
      rx.respond(r, res);
    });
  };
  const server = o.tls ? https.createServer({ cert: o.tls.cert, key: o.tls.key }, handler) : http.createServer(handler);
  rx.port = await listenOn(server, o.port ?? 0);
  rx.close = () => closeServer(server);
  return rx;
}

/** Splits an `application/logplex-1` body or an octet-counted stream into its messages. */
export function splitFrames(body: Buffer): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < body.length) {
    const sp = body.indexOf(0x20, i);
    if (sp < 0) throw new Error(`bad frame at ${i}: ${body.subarray(i, i + 40).toString()}`);
    const len = Number(body.subarray(i, sp).toString());
    if (!Number.isInteger(len) || len <= 0 || sp + 1 + len > body.length) throw new Error(`bad frame length at ${i}`);
    out.push(body.subarray(sp + 1, sp + 1 + len).toString('utf8'));
    i = sp + 1 + len;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// TCP / TLS / UDP receivers

export interface StreamReceiver {
  port: number;
  /** All bytes received, across connections, in arrival order per connection. */
  data(): Buffer;
  connections: number;
  /** SNI names TLS clients sent. */
  servernames: Array<string | false>;
  close(): Promise<void>;
}

export async function streamReceiver(o: { tls?: { cert: Buffer; key: Buffer }; port?: number } = {}): Promise<StreamReceiver> {
  const chunks: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const rx: StreamReceiver = { port: 0, data: () => Buffer.concat(chunks), connections: 0, servernames: [], close: async () => {} };
  const onSocket = (s: net.Socket): void => {
    rx.connections++;
    if (s instanceof tls.TLSSocket) rx.servernames.push((s as tls.TLSSocket & { servername: string | false }).servername);
    sockets.add(s);
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  };
  const server = o.tls
    ? tls.createServer({ cert: o.tls.cert, key: o.tls.key }, onSocket)
    : net.createServer(onSocket);
  // A TLS handshake the client aborts (bad certificate) must not crash the receiver.
  server.on('tlsClientError', () => {});
  rx.port = await listenOn(server, o.port ?? 0);
  rx.close = async () => {
    for (const s of sockets) s.destroy();
    await closeServer(server);
  };
  return rx;
}

export interface UdpReceiver {
  port: number;
  datagrams: Buffer[];
  close(): Promise<void>;
}

export async function udpReceiver(): Promise<UdpReceiver> {
  const sock = dgram.createSocket('udp4');
  const datagrams: Buffer[] = [];
  sock.on('message', (m) => datagrams.push(m));
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  return { port: sock.address().port, datagrams, close: () => new Promise((r) => sock.close(() => r())) };
}

export function listenOn(server: net.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });
}

export function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => {
    (server as http.Server).closeAllConnections?.();
    const t = setTimeout(resolve, 3_000);
    server.close(() => {
      clearTimeout(t);
      resolve();
    });
  });
}

/** A free port that nothing listens on (for "receiver down"). */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  const port = await listenOn(s, 0);
  await closeServer(s);
  return port;
}

// ---------------------------------------------------------------------------------------------
// An in-process drain manager on a real store

/** Short timings so that retries and timeouts happen within a test's patience. */
export const FAST: Partial<DrainOptions> = {
  connectTimeoutMs: 1_000,
  requestTimeoutMs: 500,
  sendTimeoutMs: 1_000,
  backoffBaseMs: 50,
  backoffMaxMs: 400,
  maxAttempts: 1_000,
  l14IntervalMs: 60_000,
};

export interface Harness {
  store: SqliteStore;
  manager: DrainManager;
  appId: string;
  /** Lines written into the app's log by the drains (L14). */
  appLog: LogLine[];
  /** The data directory (reopen it with `harness({ dir, appId })`). */
  dir: string;
  /** Stops the manager (flushing to the spool) and closes the store, keeping the directory. */
  stop(graceMs?: number): Promise<void>;
  addDrain(url: string, extra?: Partial<DrainRecord>): Promise<DrainRecord>;
  close(): Promise<void>;
}

/**
 * A drain manager on a real SQLite store. Queues spool to `<dir>/spool` unless `memoryOnly`;
 * pass `dir` to reopen a previous harness's data directory (a restart).
 */
export async function harness(
  o: { queue?: Partial<QueueSettings>; memoryOnly?: boolean; options?: Partial<DrainOptions>; ca?: Buffer; dir?: string; appId?: string; logger?: Logger } = {},
): Promise<Harness> {
  const dir = o.dir ?? tmpDir('sluice-drains-');
  const db = openDatabase(dir);
  const store = new SqliteStore(db);
  const appId = o.appId ?? newId();
  const now = new Date().toISOString();
  if (!store.getApp(appId)) await store.putApp({ id: appId, name: `app-${appId.slice(0, 8)}`, created_at: now, updated_at: now });
  const appLog: LogLine[] = [];
  const manager = new DrainManager(store, {
    spoolDir: o.memoryOnly ? undefined : path.join(dir, 'spool'),
    queue: o.queue,
    logger: o.logger,
    options: { ...FAST, ...o.options },
    ca: o.ca,
    appLog: (_app, line) => appLog.push(line),
  }).start();
  return {
    store,
    manager,
    appId,
    appLog,
    dir,
    async stop(graceMs = 1_000) {
      await manager.stop(graceMs);
      await store.close();
      db.close();
    },
    async addDrain(url, extra = {}) {
      const d: DrainRecord = { id: newId(), app_id: appId, token: newDrainToken(), url, addon_id: null, created_at: now, updated_at: now, ...extra };
      await store.putDrain(d);
      return d;
    },
    async close() {
      await manager.stop(1_000);
      await store.close();
      db.close();
      removeDir(dir);
    },
  };
}

let seq = 0;
/** A routed line as the router hands it to subscribers. */
export function logLine(msg: string, o: Partial<LogLine> = {}): LogLine {
  seq++;
  return {
    pri: 190,
    time: `2024-05-01T12:00:00.${String(seq % 1_000_000).padStart(6, '0')}+00:00`,
    hostname: 'producer',
    source: 'app',
    procid: 'web.1',
    msgid: '-',
    sd: '-',
    msg,
    ...o,
  };
}

/** Every line a drain has accounted for: delivered plus dropped (its health counters). */
export function accounted(h: Harness, drainId: string): number {
  const hh = h.manager.health(drainId);
  return (hh?.delivered ?? 0) + (hh?.dropped ?? 0);
}

/** Receivers a suite starts, to close together in its `after` hook. */
export function receiverPool(): { track<R extends { close(): Promise<void> }>(r: R): R; closeAll(): Promise<void> } {
  const open: Array<{ close(): Promise<void> }> = [];
  return {
    track(r) {
      open.push(r);
      return r;
    },
    async closeAll() {
      await Promise.all(open.map((r) => r.close()));
    },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls until `pred()` holds or `timeoutMs` passes; returns whether it held. */
export async function until(pred: () => boolean, timeoutMs = 10_000, stepMs = 20): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) return false;
    await sleep(stepMs);
  }
  return true;
}

/** The `Error L10 … N messages dropped` count in a message, or 0. */
export function l10Count(msg: string): number {
  const m = /Error L10 \(output buffer overflow\): (\d+) messages dropped since /.exec(msg);
  return m ? Number(m[1]) : 0;
}
