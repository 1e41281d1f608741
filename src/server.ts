// The only file that knows every part: builds the node, starts listeners, and stops them in order.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import type dgram from 'node:dgram';
import { newId, newSecret } from './core/ids.js';
import { hashSecret } from './core/secret.js';
import { platformLine } from './core/stream-errors.js';
import { VERSION } from './core/version.js';
import { Provisioner } from './addons/provisioning.js';
import { addonServiceRoutes } from './api/addon-services.js';
import { addonRoutes } from './api/addons.js';
import { buildApi } from './api/app.js';
import { consoleRoutes } from './api/console.js';
import { apiKeyRoutes } from './api/api-keys.js';
import { appRoutes } from './api/apps.js';
import { Auth } from './api/auth.js';
import type { ApiDeps } from './api/context.js';
import { domainRoutes } from './api/domains.js';
import { healthRoutes } from './api/health.js';
import { logSessionRoutes } from './api/log-sessions.js';
import { logTokenRoutes } from './api/log-tokens.js';
import { logDrainRoutes } from './api/log-drains.js';
import type { DrainOptions } from './drains/contract.js';
import { DrainManager } from './drains/manager.js';
import { partnerRoutes } from './api/partner.js';
import type { ClusterParts } from './cluster/node.js';
import { clusterMetrics, engineHealth } from './cluster/health.js';
import type { History } from './history/contract.js';
import { SqliteHistory } from './history/sqlite-history.js';
import { httpLogsHandler } from './ingest/http-logs.js';
import { createRouterLogSocket, routerLogEvents } from './ingest/router-log.js';
import { createSyslogTcpServer, createSyslogTlsServer } from './ingest/syslog-stream.js';
import { createSyslogUdpSocket } from './ingest/syslog-udp.js';
import { Router } from './router/router.js';
import type { ConfigStore } from './store/contract.js';
import { openDatabase, type Db } from './store/sqlite-db.js';
import { SqliteStore } from './store/sqlite-store.js';
import { TailHub } from './tail/hub.js';
import { SessionRegistry } from './tail/sessions.js';
import { ingestEvents } from './telemetry/catalogue.js';
import { Metrics } from './telemetry/metrics.js';
import { silentLogger, type Logger } from './telemetry/logger.js';

export interface ServeOptions {
  host: string;
  httpPort: number;
  syslogPort: number;
  syslogTlsPort?: number;
  tlsCert?: string;
  tlsKey?: string;
  dataDir: string;
  /** Cluster mode: NATS JetStream servers, comma-separated (`nats://[user:pass@]host:port,…`). */
  natsUrl?: string;
  /** A NATS credentials file, and a CA file for the servers' TLS certificates. */
  natsCreds?: string;
  natsCa?: string;
  /** `replicated`: POST /logs answers 204 only once its lines are in the replicated stream. */
  ack?: 'receipt' | 'replicated';
  publicUrl?: string;
  /** The admin key from SLUICE_API_KEY; when absent one is generated on first start. */
  apiKey?: string;
  maxBodyBytes: number;
  maxMessageBytes: number;
  /** Per-app input limit in lines/s; 0 or absent = unlimited. */
  rateLimit?: number;
  /** Refuse drains to loopback and private addresses (`--deny-private-drains`). */
  denyPrivateDrains?: boolean;
  /** At most this many drains per app (`--max-drains-per-app`, default 10). */
  maxDrainsPerApp?: number;
  /** Messages buffered per drain (`--drain-buffer`, default 1024). */
  drainBuffer?: number;
  /** PEM file of extra CAs trusted for TLS drains, besides the system's (`--drain-ca-file`). */
  drainCaFile?: string;
  /** Drain timing overrides (tests use short timeouts). */
  drainOptions?: Partial<DrainOptions>;
  /** Per-attempt timeout of calls to add-on partners (SPEC §6.2: 25 s). */
  addonTimeoutMs?: number;
  /** How long an add-on may stay `provisioning` before it is failed and removed (default 12 h). */
  addonProvisioningTimeoutMs?: number;
  /** UDP port for router (nginx) logs; off when absent (`--router-port`). */
  routerPort?: number;
  /** The shared secret every router line starts with; required with `routerPort`. */
  routerSecret?: string;
  /** The process's structured log (src/telemetry/logger.ts); silent when absent. */
  logger?: Logger;
}

export interface RunningServer {
  httpPort: number;
  syslogPort: number;
  syslogTlsPort?: number;
  routerPort?: number;
  /** Set only on the start that generated the admin key: print it once, it is not stored. */
  generatedApiKey?: string;
  stop(): Promise<void>;
}

export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const logger = opts.logger ?? silentLogger();
  // Internal errors (never client mistakes) as one error line each.
  const log = (m: string): void => logger.error(m);
  const parts: Parts = opts.natsUrl
    ? // Loaded only in cluster mode: the embedded node never loads the NATS client.
      await clusterNode(opts.natsUrl, opts, logger)
    : embeddedParts(opts.dataDir, log);
  const { store, history, hub, sessions, cluster, db } = parts;
  const router = new Router(store, { linesPerSecond: opts.rateLimit ?? 0 });
  router.subscribe(history);
  router.subscribe(hub);
  const metrics = new Metrics();
  // L14 and other lines about a drain go to the app's history and tails, not to its drains.
  const drains = new DrainManager(store, {
    bufferSize: opts.drainBuffer ?? 1024,
    options: { ...opts.drainOptions, denyPrivate: opts.denyPrivateDrains === true },
    ca: opts.drainCaFile ? readFileSync(opts.drainCaFile) : undefined,
    appLog: (appId, line) => {
      history.deliver(appId, line);
      hub.deliver(appId, line);
    },
    metrics,
    owns: cluster?.ownership.owns,
  }).start();
  // Cluster mode: drained lines go to the replicated drain stream, and each drain's owner node
  // delivers them from there (once, whichever node received them).
  if (cluster) {
    router.subscribe(cluster.feed);
    await cluster.ownership.start(drains);
  } else router.subscribe(drains);
  const events = ingestEvents(metrics);
  metrics.gauge('sluice_apps', 'Apps configured.', () => store.listApps().length);
  metrics.gauge('sluice_tail_sessions', 'Open tail sessions on this node.', () => hub.count);
  metrics.counterFrom('sluice_lines_routed_total', 'Lines routed since start.', () => router.routed);
  metrics.counterFrom('sluice_syslog_lines_rate_limited_total', 'Syslog lines dropped by the per-app rate limit since start.', () => router.rateLimited);
  metrics.counterFrom('sluice_syslog_lines_unknown_token_total', 'Syslog lines dropped for an unknown token since start.', () => router.unknownToken);
  if (cluster) clusterMetrics(metrics, cluster);

  const generatedApiKey = await ensureAdminKey(store, opts.apiKey);
  const auth = new Auth(store, opts.apiKey);

  const httpServer = http.createServer({ requestTimeout: 30_000, headersTimeout: 15_000, keepAliveTimeout: 65_000 });
  const deps: ApiDeps = {
    store,
    history,
    router,
    sessions,
    hub,
    auth,
    metrics,
    config: { publicUrl: '', version: VERSION },
    drains: {
      manager: drains,
      denyPrivate: opts.denyPrivateDrains === true,
      maxPerApp: opts.maxDrainsPerApp ?? 10,
      health: cluster ? (id) => cluster.ownership.health(id) : undefined,
    },
    engine: cluster ? () => engineHealth(cluster) : undefined,
  };
  const addons = new Provisioner(store, {
    publicUrl: () => deps.config.publicUrl,
    denyPrivateDrains: () => opts.denyPrivateDrains === true,
    policy: opts.addonTimeoutMs ? { timeoutMs: opts.addonTimeoutMs } : {},
    provisioningTimeoutMs: opts.addonProvisioningTimeoutMs,
  });
  deps.addons = addons;
  /** A `heroku[api]` line for what the platform does by itself (no user or partner acting). */
  const systemNote = (appId: string, text: string): void => router.publish(appId, platformLine('api', text));
  // Deleting an app deprovisions its add-ons first; a partner that cannot answer does not block it.
  deps.beforeAppDelete = async (appId) => {
    for (const a of store.listAddons(appId)) await addons.remove(a, true, systemNote);
  };
  const api = buildApi(deps, [healthRoutes, appRoutes, apiKeyRoutes, logTokenRoutes, domainRoutes, logSessionRoutes, logDrainRoutes, addonServiceRoutes, addonRoutes, partnerRoutes, consoleRoutes()], (err) =>
    log(`sluice: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`),
  );
  const acknowledged =
    cluster && opts.ack === 'replicated' ? async () => void (await Promise.all([cluster.history.settled(), cluster.feed.settled()])) : undefined;
  const logs = httpLogsHandler(router, events, { maxBodyBytes: opts.maxBodyBytes, maxMessageBytes: opts.maxMessageBytes, acknowledged });
  httpServer.on('request', (req, res) => {
    const url = req.url ?? '/';
    const path = url.split('?', 1)[0];
    if (path === '/logs' || path === '/logs/') void logs(req, res);
    else api(req, res);
  });
  httpServer.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  const streamOpts = { maxMessageBytes: opts.maxMessageBytes, idleTimeoutMs: 10 * 60_000, maxConnections: 10_000 };
  const tcp = createSyslogTcpServer(router, events, streamOpts);
  const udp = createSyslogUdpSocket(router, events, { maxMessageBytes: opts.maxMessageBytes });
  const tlsServer =
    opts.syslogTlsPort !== undefined && opts.tlsCert && opts.tlsKey
      ? createSyslogTlsServer(router, events, {
          ...streamOpts,
          cert: readFileSync(opts.tlsCert),
          key: readFileSync(opts.tlsKey),
        })
      : undefined;

  if (opts.routerPort !== undefined && !opts.routerSecret) throw new Error('the router log port needs a router secret');
  const routerUdp =
    opts.routerPort !== undefined && opts.routerSecret
      ? createRouterLogSocket(router, store, routerLogEvents(metrics), { secret: opts.routerSecret, maxMessageBytes: opts.maxMessageBytes })
      : undefined;

  const streamSockets = [track(tcp), ...(tlsServer ? [track(tlsServer)] : [])];
  const httpPort = await listen(httpServer, opts.httpPort, opts.host);
  const syslogPort = await listen(tcp, opts.syslogPort, opts.host);
  await bindUdp(udp, syslogPort, opts.host);
  const syslogTlsPort = tlsServer ? await listen(tlsServer, opts.syslogTlsPort ?? 0, opts.host) : undefined;
  let routerPort: number | undefined;
  if (routerUdp) {
    await bindUdp(routerUdp, opts.routerPort ?? 0, opts.host);
    routerPort = routerUdp.address().port;
  }
  deps.config.publicUrl = (opts.publicUrl ?? `http://127.0.0.1:${httpPort}`).replace(/\/+$/, '');

  // Add-ons a partner left `provisioning` past the timeout are failed and removed (checked at a
  // quarter of the timeout, at most every minute).
  const expirer = setInterval(() => {
    addons.expireStale(systemNote).catch((err: unknown) => log(`sluice: expiring stale add-ons failed: ${err instanceof Error ? err.message : String(err)}`));
  }, Math.min(60_000, Math.max(250, addons.provisioningTimeoutMs / 4)));
  expirer.unref();

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      // Input first, so nothing new arrives while buffers are flushed and the database closed.
      clearInterval(expirer);
      routerUdp?.close();
      const closing = Promise.all([close(httpServer), close(tcp), tlsServer ? close(tlsServer) : undefined]);
      for (const set of streamSockets) for (const s of set) s.destroySoon();
      await closing;
      udp.close();
      // Then drains get up to 10 s to deliver what their buffers hold (SPEC §8).
      cluster?.ownership.pause();
      await drains.stop(10_000);
      await cluster?.ownership.close();
      await cluster?.feed.close();
      cluster?.hub.close();
      sessions.close();
      router.limiter.close();
      await history.close();
      await store.close();
      db?.close();
      await cluster?.link.close();
    })());

  return { httpPort, syslogPort, syslogTlsPort, routerPort, generatedApiKey, stop };
}

/** With SLUICE_API_KEY set nothing is stored; otherwise an admin key is made once and only its hash kept. */
async function ensureAdminKey(store: ConfigStore, envKey: string | undefined): Promise<string | undefined> {
  if (envKey !== undefined) return undefined;
  if (store.listApiKeys().some((k) => k.admin)) return undefined;
  const key = `sk_${newSecret()}`;
  await store.putApiKey({ id: newId(), name: 'admin', hash: hashSecret(key), admin: true, app_ids: [], created_at: new Date().toISOString() });
  return key;
}

interface Parts {
  store: ConfigStore;
  history: History;
  hub: TailHub;
  sessions: SessionRegistry;
  db?: Db;
  cluster?: ClusterParts;
}

/** Cluster mode: configuration, history, tails and sessions on NATS JetStream. */
async function clusterNode(url: string, opts: ServeOptions, logger: Logger): Promise<Parts> {
  const { clusterParts } = await import('./cluster/node.js');
  const cluster = await clusterParts({ url, credsFile: opts.natsCreds, caFile: opts.natsCa, dataDir: opts.dataDir, logger, drainQueue: Math.max(1, Math.floor((opts.drainBuffer ?? 1024) / 2)) });
  return { store: cluster.store, history: cluster.history, hub: cluster.hub, sessions: cluster.sessions, cluster };
}

/** The embedded default: configuration and history in SQLite under the data directory. */
function embeddedParts(dataDir: string, log: (m: string) => void): Parts {
  const db = openDatabase(dataDir);
  const history = new SqliteHistory(db, {
    onError: (err) => log(`sluice: history write failed (reads still served from memory): ${String(err)}`),
  });
  return { store: new SqliteStore(db), history, hub: new TailHub(), sessions: new SessionRegistry(), db };
}

function listen(server: net.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

function bindUdp(socket: dgram.Socket, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
}

/** Syslog connections are long-lived: remember them so that stop() can end them. */
function track(server: net.Server): Set<net.Socket> {
  const set = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    set.add(s);
    s.on('close', () => set.delete(s));
  });
  return set;
}

function close(server: net.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // Open tails and keep-alive sockets would hold close() forever.
    (server as http.Server).closeAllConnections?.();
  });
}
