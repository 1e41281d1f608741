// The only file that knows every part: builds the node, starts listeners, and stops them in order.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import http from 'node:http';
import type net from 'node:net';
import type dgram from 'node:dgram';
import { newId, newSecret } from './core/ids.js';
import { hashSecret } from './core/secret.js';
import { platformLine } from './core/stream-errors.js';
import { VERSION } from './core/version.js';
import { Provisioner } from './addons/provisioning.js';
import { accountRoutes } from './api/account.js';
import { addonServiceRoutes } from './api/addon-services.js';
import { addonAttachmentRoutes, addonRoutes } from './api/addons.js';
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
import { telemetryDrainRoutes } from './api/telemetry-drains.js';
import type { DrainOptions } from './drains/contract.js';
import { DEFAULT_QUEUE_SETTINGS, DrainManager, type QueueSettings } from './drains/manager.js';
import { DrainResolver, useDrainResolver } from './drains/resolver.js';
import type { SelfListeners } from './drains/url.js';
import { partnerRoutes } from './api/partner.js';
import type { ClusterParts } from './cluster/node.js';
import type { DrainStreamLimits } from './cluster/drain-feed.js';
import { clusterMetrics, engineHealth } from './cluster/health.js';
import type { History } from './history/contract.js';
import { SqliteHistory } from './history/sqlite-history.js';
import { FrameIdCache } from './ingest/frame-ids.js';
import { httpLogsHandler } from './ingest/http-logs.js';
import { OTLP_PATHS, otlpHttpHandler } from './ingest/otlp/http.js';
import { createRouterLogSocket, routerLogEvents } from './ingest/router-log.js';
import { ConnectionTable, limitHttpConnections } from './ingest/connection-limits.js';
import { DEFAULT_LIMITS, type ListenerLimits } from './ingest/limits.js';
import { syslogLineHandler, unknownTokenReport } from './ingest/syslog-lines.js';
import { createSyslogTcpServer, createSyslogTlsServer } from './ingest/syslog-stream.js';
import { createSyslogUdpSocket, udpKernelDropsReader } from './ingest/syslog-udp.js';
import { Router } from './router/router.js';
import type { ConfigStore } from './store/contract.js';
import { openDatabase, type Db } from './store/sqlite-db.js';
import { SqliteStore } from './store/sqlite-store.js';
import { TailHub } from './tail/hub.js';
import { SessionRegistry } from './tail/sessions.js';
import { ingestEvents } from './telemetry/catalogue.js';
import { DEFAULT_HEAP_SOFT_BYTES, startHeapGovernor } from './core/heap-governor.js';
import { Metrics } from './telemetry/metrics.js';
import { ServerEvents } from './telemetry/log-events.js';
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
  /** Cluster mode: bytes of input a node keeps on disk while the engine does not take it (`--engine-spool-bytes`). */
  engineSpoolBytes?: number;
  /** Cluster mode: the drain stream's limits (`--drain-stream-max-bytes`, `--drain-stream-max-age-ms`). */
  drainStream?: DrainStreamLimits;
  /**
   * When `POST /logs` answers 204: `receipt` (default) once the lines are routed; `durable`
   * (embedded) once they are in the history's SQLite write-ahead log, which survives kill -9;
   * `replicated` (cluster) once they are in the replicated stream.
   */
  ack?: 'receipt' | 'durable' | 'replicated';
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
  /** Drain queue budgets and spool sync (`--drain-memory-bytes`, `--drain-spool-bytes`,
   *  `--spool-max-bytes`, `--spool-sync-ms`); the spool is `<dataDir>/spool`. */
  drainQueue?: Partial<QueueSettings>;
  /** DNS servers for drain and partner host names (`--drain-dns-servers`); default the system's. */
  drainDnsServers?: string[];
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
  /** Listener limits against connection exhaustion; each has a default fit for log shippers. */
  limits?: Partial<ListenerLimits>;
  /** A bearer token `/metrics` requires (`--metrics-auth`); open when absent. */
  metricsToken?: string;
  /** How often repeated warnings are summarised in the log (default 10 s; tests use less). */
  logSummaryMs?: number;
  /** Used V8 heap past which a full collection is asked for (core/heap-governor.ts); 0: off. */
  heapSoftBytes?: number;
}

export { DEFAULT_LIMITS, type ListenerLimits };

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
  // The server log's named events (telemetry/log-events.ts): rate-limited, never a secret.
  const ev = new ServerEvents(logger, opts.logSummaryMs);
  const parts: Parts = opts.natsUrl
    ? // Loaded only in cluster mode: the embedded node never loads the NATS client.
      await clusterNode(opts.natsUrl, opts, logger)
    : embeddedParts(opts.dataDir, ev);
  const { store, history, hub, sessions, cluster, db } = parts;
  const stopHeapGovernor = startHeapGovernor({
    softBytes: opts.heapSoftBytes ?? DEFAULT_HEAP_SOFT_BYTES,
    onCollect: (before, after, ms) => logger.debug({ used_before: before, used_after: after, duration_ms: Math.round(ms) }, 'heap collected past its soft limit'),
  });
  const router = new Router(store, { linesPerSecond: opts.rateLimit ?? 0 });
  router.subscribe(history);
  router.subscribe(hub);
  const metrics = new Metrics();
  if (opts.drainDnsServers?.length) useDrainResolver(new DrainResolver({ servers: opts.drainDnsServers }));
  // This node's listeners, known once bound: drains and partner drains may not point at them.
  const self: SelfListeners = { ports: [] };
  // L14 and other lines about a drain go to the app's history and tails, not to its drains.
  const drains = new DrainManager(store, {
    // Cluster mode: the replicated drain stream is each drain's durable queue (a dead owner's
    // lines are read again by the next one); a node's own spool would strand them on its disk.
    spoolDir: cluster ? undefined : join(opts.dataDir, 'spool'),
    queue: opts.drainQueue,
    logger,
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
  const relay = cluster?.signals(drains);
  if (cluster) {
    router.subscribe(cluster.feed);
    await cluster.ownership.start(drains);
  } else router.subscribe(drains);
  // Syslog's unknown tokens have their own summary with the sender's address (unknownTokenReport).
  const events = ingestEvents(metrics, (transport, reason, lines) => {
    if (reason !== 'unknown_token') ev.inputRejected(transport, reason, lines);
  });
  metrics.gauge('sluice_apps', 'Apps configured.', () => store.listApps().length);
  metrics.gauge('sluice_tail_sessions', 'Open tail sessions on this node.', () => hub.count);
  metrics.counterFrom('sluice_lines_routed_total', 'Lines routed since start.', () => router.routed);
  metrics.counterFrom('sluice_loop_lines_dropped_total', "Input lines dropped because one of this cluster's own drains sent them (a drain loop).", () => router.loops.dropped);
  router.loops.onLoop = (e) =>
    logger.warn({ drain: e.drainId, app: e.appId, via: e.via, lines: e.droppedSinceLastReport }, 'drain loop broken: input from one of our own drains dropped');
  metrics.counterFrom('sluice_syslog_lines_rate_limited_total', 'Syslog lines dropped by the per-app rate limit since start.', () => router.rateLimited);
  metrics.counterFrom('sluice_syslog_lines_unknown_token_total', 'Syslog lines dropped for an unknown token since start.', () => router.unknownToken);
  if (cluster) clusterMetrics(metrics, cluster);

  const generatedApiKey = await ensureAdminKey(store, opts.apiKey);
  const auth = new Auth(store, opts.apiKey);

  const limits: ListenerLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  // Slow clients are cut off at the header and request timeouts, checked every second (Node's
  // default check runs every 30 s, which would let a slow-header client hold on 3× too long).
  const httpServer = http.createServer({
    requestTimeout: limits.httpRequestTimeoutMs,
    headersTimeout: Math.min(limits.httpHeadersTimeoutMs, limits.httpRequestTimeoutMs),
    keepAliveTimeout: 65_000,
    connectionsCheckingInterval: 1_000,
  });
  const httpConnections = new ConnectionTable('http', { maxConnections: limits.httpMaxConnections, maxPerAddress: limits.httpMaxConnectionsPerAddress }, metrics, logger);
  limitHttpConnections(httpServer, httpConnections);
  const deps: ApiDeps = {
    store,
    history,
    router,
    sessions,
    hub,
    auth,
    metrics,
    config: { publicUrl: '', version: VERSION, metricsToken: opts.metricsToken },
    drains: {
      manager: drains,
      denyPrivate: opts.denyPrivateDrains === true,
      maxPerApp: opts.maxDrainsPerApp ?? 10,
      self: () => self,
      health: cluster ? (id) => cluster.ownership.health(id) : undefined,
    },
    engine: cluster ? () => engineHealth(cluster) : undefined,
    onHistoryError: (appId, err) => logger.warn({ app: appId, err: err instanceof Error ? err.message : String(err) }, 'a log session could not read the history: it got an L15 line'),
  };
  const addons = new Provisioner(store, {
    publicUrl: () => deps.config.publicUrl,
    denyPrivateDrains: () => opts.denyPrivateDrains === true,
    self: () => self,
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
  const api = buildApi(deps, [healthRoutes, appRoutes, apiKeyRoutes, logTokenRoutes, domainRoutes, logSessionRoutes, logDrainRoutes, telemetryDrainRoutes, addonServiceRoutes, addonRoutes, addonAttachmentRoutes, partnerRoutes, accountRoutes, consoleRoutes()], (err) =>
    ev.unexpected('api', err),
  );
  const acknowledged =
    opts.ack === 'replicated' && cluster
      ? async () => void (await Promise.all([cluster.history.settled(), cluster.feed.settled()]))
      : opts.ack === 'durable' && !cluster && history.durable
        ? history.durable.bind(history)
        : undefined;
  if (opts.ack === 'durable' && !acknowledged) throw new Error('--ack durable needs the embedded SQLite history (cluster mode: --ack replicated)');
  if (opts.ack === 'replicated' && !acknowledged) throw new Error('--ack replicated needs cluster mode (--nats-url); the embedded node has --ack durable');
  const frameIds = new FrameIdCache({ maxBytes: limits.frameIdMemoryBytes });
  metrics.gauge('sluice_http_frame_id_bytes', 'Estimated bytes held by Logplex-Frame-Id de-duplication (bounded by --frame-id-memory-bytes).', () => frameIds.bytes);
  metrics.gauge('sluice_http_frame_ids', 'Logplex-Frame-Ids remembered for de-duplication.', () => frameIds.size);
  const logs = httpLogsHandler(router, events, {
    maxBodyBytes: opts.maxBodyBytes,
    maxMessageBytes: opts.maxMessageBytes,
    frameIds,
    acknowledged,
  });
  const otlp = otlpHttpHandler(router, events, {
    maxBodyBytes: opts.maxBodyBytes,
    maxMessageBytes: opts.maxMessageBytes,
    acknowledged,
    // Cluster mode: to each telemetry drain's owner, wherever it runs.
    forward: (appId, payload) => (relay ? relay.forward(appId, payload) : drains.forward(appId, payload)),
  });
  httpServer.on('request', (req, res) => {
    const url = req.url ?? '/';
    const path = url.split('?', 1)[0];
    const signal = OTLP_PATHS[path.replace(/\/$/, '')];
    // Wrong or missing credentials, summarised per remote address (the credential is never read here).
    res.once('finish', () => {
      if (res.statusCode === 401) ev.authFailed(path === '/logs' || path === '/logs/' || signal !== undefined ? 'logs' : 'api', req.socket.remoteAddress);
    });
    if (path === '/logs' || path === '/logs/') void logs(req, res);
    else if (signal !== undefined) void otlp(req, res, signal);
    else api(req, res);
  });
  httpServer.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  const unknownTokens = unknownTokenReport(logger);
  const discarded = metrics.counter('sluice_syslog_discarded_bytes_total', 'Bytes skipped on syslog streams while resynchronising after malformed frames, by transport.');
  const syslogLimits = { maxConnections: limits.syslogMaxConnections, maxPerAddress: limits.syslogMaxConnectionsPerAddress };
  const streamOpts = (transport: 'tcp' | 'tls') => ({
    maxMessageBytes: opts.maxMessageBytes,
    idleTimeoutMs: limits.syslogIdleTimeoutMs,
    connections: new ConnectionTable(transport, syslogLimits, metrics, logger),
    handle: syslogLineHandler(router, events, transport, unknownTokens),
    discarded: (t: string, bytes: number) => discarded({ transport: t }, bytes),
  });
  const tcpOpts = streamOpts('tcp');
  const tcp = createSyslogTcpServer(events, tcpOpts);
  const udp = createSyslogUdpSocket(events, { maxMessageBytes: opts.maxMessageBytes, handle: syslogLineHandler(router, events, 'udp', unknownTokens) });
  const tlsOpts = opts.syslogTlsPort !== undefined && opts.tlsCert && opts.tlsKey ? streamOpts('tls') : undefined;
  const tlsServer =
    tlsOpts && opts.tlsCert && opts.tlsKey
      ? createSyslogTlsServer(events, { ...tlsOpts, cert: readFileSync(opts.tlsCert), key: readFileSync(opts.tlsKey) })
      : undefined;
  const connectionTables = [httpConnections, tcpOpts.connections, ...(tlsOpts ? [tlsOpts.connections] : [])];
  metrics.gauge('sluice_connections_open', 'Open connections, by listener.', () => connectionTables.map((t) => [{ listener: t.listener }, t.size] as [Record<string, string>, number]));

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
  const udpDrops = [['syslog', udpKernelDropsReader(syslogPort)] as const, ...(routerPort === undefined ? [] : [['router', udpKernelDropsReader(routerPort)] as const])];
  metrics.counterFrom('sluice_udp_kernel_drops_total', "Datagrams the kernel dropped for Sluice's UDP sockets (receive buffer full), read from /proc/net/udp at each scrape.", () => {
    const rows: Array<[Record<string, string>, number]> = [];
    for (const [socket, read] of udpDrops) {
      const drops = read();
      if (drops !== undefined) rows.push([{ socket }, drops]);
    }
    return rows;
  });
  deps.config.publicUrl = (opts.publicUrl ?? `http://127.0.0.1:${httpPort}`).replace(/\/+$/, '');
  self.ports = [httpPort, syslogPort, ...(syslogTlsPort ? [syslogTlsPort] : []), ...(routerPort ? [routerPort] : [])];
  self.publicUrl = deps.config.publicUrl;

  // Add-ons a partner left `provisioning` past the timeout are failed and removed (checked at a
  // quarter of the timeout, at most every minute).
  const expirer = setInterval(() => {
    addons.expireStale(systemNote).catch((err: unknown) => ev.engineTrouble('addons', err));
  }, Math.min(60_000, Math.max(250, addons.provisioningTimeoutMs / 4)));
  expirer.unref();

  ev.started({
    version: VERSION,
    mode: cluster ? 'cluster' : 'embedded',
    host: opts.host,
    http: httpPort,
    syslog: syslogPort,
    syslogTls: syslogTlsPort,
    router: routerPort,
    dataDir: opts.dataDir,
    publicUrl: deps.config.publicUrl,
    consoleUrl: `${deps.config.publicUrl}/console`,
    ack: opts.ack ?? 'receipt',
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      // Input first, so nothing new arrives while buffers are flushed and the database closed.
      const began = Date.now();
      ev.shutdown('closing listeners');
      clearInterval(expirer);
      routerUdp?.close();
      unknownTokens.close();
      for (const t of connectionTables) t.close();
      const closing = Promise.all([close(httpServer), close(tcp), tlsServer ? close(tlsServer) : undefined]);
      for (const set of streamSockets) for (const s of set) s.destroySoon();
      await closing;
      udp.close();
      // Then drains get up to 10 s to deliver what their buffers hold (SPEC §8).
      cluster?.ownership.pause();
      ev.shutdown('delivering what drains hold', { graceMs: 10_000 });
      await drains.stop(10_000);
      await cluster?.ownership.close();
      relay?.close();
      await cluster?.feed.close();
      cluster?.hub.close();
      sessions.close();
      router.limiter.close();
      ev.shutdown('writing history');
      await history.close();
      await store.close();
      db?.close();
      await cluster?.link.close();
      stopHeapGovernor();
      ev.stopped({ durationMs: Date.now() - began, history: cluster ? 'in the cluster engine' : 'written to SQLite' });
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
  const cluster = await clusterParts({
    url,
    credsFile: opts.natsCreds, caFile: opts.natsCa, dataDir: opts.dataDir, logger,
    engineSpoolBytes: opts.engineSpoolBytes, drainStream: opts.drainStream,
    drainQueueBytes: Math.floor((opts.drainQueue?.memoryBytes ?? DEFAULT_QUEUE_SETTINGS.memoryBytes) / 2),
  });
  return { store: cluster.store, history: cluster.history, hub: cluster.hub, sessions: cluster.sessions, cluster };
}

/** The embedded default: configuration and history in SQLite under the data directory. */
function embeddedParts(dataDir: string, ev: ServerEvents): Parts {
  const db = openDatabase(dataDir);
  const history = new SqliteHistory(db, {
    // Reads are still served from memory; what is not written is lost at the next restart.
    onError: (err) => ev.engineTrouble('history writer', err),
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
